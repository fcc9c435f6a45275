# The agent's counter in sections (issue 19).
agent-sections = The counter's sections
agent-cards-heading = Cards
agent-float-heading = Float and commissions
agent-commissions-heading = Commissions earned
agent-commissions-none = No commissions yet: cash-ins, cash-outs and card sales earn them.
agent-commissions-earned = Earned so far
card-load-amount = Load this card now: amount taken in cash
