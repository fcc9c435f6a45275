# The operator's home: what needs attention (issue 19).
attention-heading = Needs attention
attention-calm = Nothing needs you now.
attention-pending-payouts = payouts waiting to be sent to the bank
attention-frozen-accounts = frozen accounts
attention-failing-webhooks = shops' webhook addresses failing
attention-locked-people = people locked out (PIN or sign-in)
attention-low-float = Low on float:
# Fees are typed in percent.
field-fee-percent = Fee in percent (1.5 is 1.5% of each payment, at most 10)
error-invalid-fee-percent = A fee is a percentage from 0 to 10 with at most two decimals, such as 1.5.
