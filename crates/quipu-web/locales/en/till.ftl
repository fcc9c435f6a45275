# The till (issue 19): keypad, live QR, card balance, the cashier's day.
keypad-label = Amount keypad
keypad-delete = Delete the last figure
till-qr-expired = This QR has expired: nobody paid it. Make a new one for the sale.
card-balance-after = Left on the card
