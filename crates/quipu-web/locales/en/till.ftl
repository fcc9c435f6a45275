# The till (issue 19): keypad, live QR, card balance, the cashier's day.
keypad-label = Amount keypad
keypad-delete = Delete the last figure
till-qr-expired = This QR has expired: nobody paid it. Make a new one for the sale.
card-balance-after = Left on the card
report-link = The day's report
report-heading = Day report
report-own = Your payments and refunds on the shop's day, in { $zone } time.
report-everyone = Everyone's payments and refunds on the shop's day, in { $zone } time.
report-nothing = Nothing was taken or refunded that day.
report-printed-qr = The shop's printed QR (no one at the till)
report-former = Someone no longer at the shop
report-key = API key
method-payment-code = Payment code
method-merchant-qr = Shop QR
method-card = Card
