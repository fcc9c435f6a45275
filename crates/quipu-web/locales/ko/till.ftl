# The till (issue 19): keypad, live QR, card balance, the cashier's day.
keypad-label = 금액 키패드
keypad-delete = 마지막 숫자 지우기
till-qr-expired = 이 QR은 만료되었습니다. 결제되지 않았습니다. 이 거래의 QR을 새로 만드세요.
card-balance-after = 카드 잔액
report-link = 오늘 정산 보기
report-heading = 하루 정산
report-own = 가게 기준 하루 동안 내가 받은 결제와 환불입니다. 시간대: { $zone }
report-everyone = 가게 기준 하루 동안 모든 직원의 결제와 환불입니다. 시간대: { $zone }
report-nothing = 이날 받은 결제나 환불이 없습니다.
report-printed-qr = 가게에 붙인 QR (계산대 직원 없이 결제)
report-former = 지금은 가게에 없는 사람
report-key = API 키
method-payment-code = 결제 코드
method-merchant-qr = 가게 QR
method-card = 카드
