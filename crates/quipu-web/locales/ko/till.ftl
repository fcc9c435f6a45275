# The till (issue 19): keypad, live QR, card balance, the cashier's day.
keypad-label = 금액 키패드
keypad-delete = 마지막 숫자 지우기
till-qr-expired = 이 QR은 만료되었습니다. 결제되지 않았습니다. 이 거래의 QR을 새로 만드세요.
card-balance-after = 카드 잔액
