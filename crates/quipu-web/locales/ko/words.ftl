# 다시 로그인하는 방법과, 은행 계좌 없는 가입에 쓰는 말.

forgot-link = 비밀번호 / PIN을 잊으셨나요?
forgot-heading = 비밀번호나 PIN을 잊으셨나요?
forgot-password-heading = 비밀번호를 잊었을 때
forgot-password-agent = 가까운 Quipu 에이전트에게 본인임을 보여 주고 에이전트 기기에 결제 PIN을 입력하세요. 에이전트가 30분 동안 쓸 수 있는 일회용 코드를 줍니다.
forgot-password-operator = PIN도 모르시나요? 운영자 고객 지원에 문의하세요. 운영자 한 명이 재설정을 요청하고 다른 운영자가 승인하면 코드를 받습니다. 누가 왜 했는지는 접근 기록에서 볼 수 있습니다.
forgot-password-code = 코드를 받으면 여기에서 새 비밀번호를 정하세요:
forgot-pin-heading = PIN이 잠겼거나 잊었을 때
forgot-pin-locked = PIN을 여러 번 틀리면 잠깁니다. 잠시 후 저절로 풀리며, 운영자 고객 지원에서 더 일찍 풀어 줄 수도 있습니다.
forgot-pin-forgotten = 잊은 PIN은 예전 PIN 없이 바꿀 수 없습니다. 신분증을 가지고 운영자 고객 지원을 찾아가세요. 아는 PIN은 로그인한 뒤 설정에서 바꿀 수 있습니다.
reset-heading = 새 비밀번호 정하기
reset-intro = 전화번호, 에이전트나 운영자에게 받은 일회용 코드, 새 비밀번호를 입력하세요. 열려 있던 모든 세션이 끝납니다.
field-reset-code = 일회용 코드
reset-button = 새 비밀번호 정하기
done-reset = 새 비밀번호를 정했습니다. 새 비밀번호로 로그인하세요.
billing-optional-note = 비워 두어도 됩니다. 에이전트에게 현금으로 충전하고 은행 계좌는 나중에 추가할 수 있습니다.
