# 자기 설정 화면이 없는 직원은 /account/time-zone에서 시간대를 고릅니다.
zones-staff-follows-shop = 화면의 시간은 가게의 시간대인 { $zone } 기준으로 표시됩니다. 시간대는 가게 주인이 정합니다.
