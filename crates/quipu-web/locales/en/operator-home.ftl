# The operator's home: what needs attention (issue 19).
attention-heading = Needs attention
attention-calm = Nothing needs you now.
attention-pending-payouts = payouts waiting to be sent to the bank
attention-frozen-accounts = frozen accounts
attention-failing-webhooks = shops' webhook addresses failing
attention-locked-people = people locked out (PIN or sign-in)
attention-low-float = Low on float:
