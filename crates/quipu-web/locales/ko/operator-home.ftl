# The operator's home: what needs attention (issue 19).
attention-heading = 확인이 필요한 일
attention-calm = 지금 확인할 일이 없습니다.
attention-pending-payouts = 은행 송금을 기다리는 출금
attention-frozen-accounts = 동결된 계정
attention-failing-webhooks = 실패 중인 가게 웹훅 주소
attention-locked-people = 잠긴 사람 (PIN 또는 로그인)
attention-low-float = 보유 잔액 부족:
# Fees are typed in percent.
field-fee-percent = 수수료율 (퍼센트, 1.5는 결제액의 1.5%, 최대 10)
error-invalid-fee-percent = 수수료는 0에서 10 사이의 퍼센트이며 소수점 둘째 자리까지 쓸 수 있습니다. 예: 1.5
