# The agent's counter in sections (issue 19).
agent-sections = 창구 메뉴
agent-cards-heading = 카드
agent-float-heading = 보유 잔액과 수수료
agent-commissions-heading = 받은 수수료
agent-commissions-none = 아직 수수료가 없습니다. 입금, 출금, 카드 판매로 수수료를 받습니다.
agent-commissions-earned = 지금까지 받은 금액
card-load-amount = 이 카드를 지금 충전: 현금으로 받은 금액
