// The shop's order board hears new orders on the shop's live event stream and rings until someone
// acknowledges them: a banner that says so and a tone every few seconds (phones and laptops on a
// counter are not watched). "Heard" stops the ringing for the orders on the board now; accepting or
// rejecting an order takes it off. Any move of an order re-reads the board. Without scripts the
// page's <noscript> refresh shows new orders, without the sound.
const board = document.getElementById('board');
if (board) start();

function start() {
  const banner = document.getElementById('ringing');
  const heardKey = 'quipu-board-heard';
  const heardIds = () => new Set((sessionStorage.getItem(heardKey) || '').split(',').filter(Boolean));
  const fresh = () => [...document.querySelectorAll('[data-new]')].map((row) => row.dataset.new)
    .filter((id) => !heardIds().has(id));
  let audio = null;
  let timer = null;
  const tone = () => {
    try {
      audio ??= new AudioContext();
      const oscillator = audio.createOscillator();
      oscillator.frequency.value = 880;
      oscillator.connect(audio.destination);
      oscillator.start();
      oscillator.stop(audio.currentTime + 0.4);
    } catch { /* no sound here: the banner still shows */ }
  };
  const ring = () => {
    const ringing = fresh().length > 0;
    banner.hidden = !ringing;
    document.title = ringing ? `(${fresh().length}) ${board.dataset.title}` : board.dataset.title;
    if (ringing && !timer) {
      tone();
      timer = setInterval(tone, 3000);
    }
    if (!ringing && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
  document.getElementById('heard').addEventListener('click', () => {
    const seen = heardIds();
    for (const id of fresh()) seen.add(id);
    sessionStorage.setItem(heardKey, [...seen].slice(-200).join(','));
    ring();
  });
  ring();

  const source = new EventSource('/api/v1/merchant/events');
  let leaving = false;
  const again = () => {
    if (leaving) return;
    leaving = true;
    source.close();
    location.replace(location.pathname);
  };
  // A form sent from this page is already taking it elsewhere: a move heard now must not cancel it.
  document.addEventListener('submit', () => {
    leaving = true;
    source.close();
  });
  const moved = (message) => {
    let data;
    try { data = JSON.parse(message.data).data; } catch { return; }
    if (data?.order_id) again();
  };
  // A delivery's step (a courier claimed it, is at the shop, brings it back, nobody claimed it)
  // is news on the board too.
  for (const kind of ['order.placed', 'order.accepted', 'order.rejected', 'order.preparing', 'order.ready',
    'order.completed', 'order.cancelled', 'order.expired', 'order.changed', 'order.awaiting_pharmacist',
    'delivery.claimed', 'delivery.at_pickup', 'delivery.picked_up', 'delivery.returning', 'delivery.offered',
    'delivery.unclaimed']) {
    source.addEventListener(kind, moved);
  }
  // An order placed while the stream was down is not in it: on every (re)connection, compare the
  // board's count with the shop's open orders.
  source.addEventListener('open', async () => {
    const answer = await fetch('/api/v1/merchant/orders?state=open', { headers: { accept: 'application/json' } })
      .catch(() => null);
    if (!answer?.ok) return;
    const open = await answer.json().catch(() => null);
    if (Array.isArray(open) && open.length !== Number(board.dataset.count)) again();
  });
}
