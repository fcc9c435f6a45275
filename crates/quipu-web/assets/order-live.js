// A customer's order page follows the shop's moves on the customer's own live event stream, so
// "accepted", "ready" and every change to a line show up without the person reloading. When a move
// for this order is heard, the page is read again (one small page, not a poll every few seconds).
// Without scripts, the page's <noscript> refresh gets there.
const live = document.getElementById('live');
if (live) listen(live.dataset.order, live.dataset.status);
const delivery = document.getElementById('delivery');
if (delivery) follow(delivery);

// Where the courier is changes without an event (positions are not news): while one is on the way,
// ask every 15 s how far, and say it in the page's own words. A stale position hides the line.
function follow(section) {
  const line = document.getElementById('courier-distance');
  const say = (template, value) => template.replace('#', String(value));
  const ask = async () => {
    const answer = await fetch(`/api/v1/me/orders/${section.dataset.order}/delivery`, { headers: { accept: 'application/json' } })
      .catch(() => null);
    if (!answer?.ok) return;
    const seen = await answer.json().catch(() => null);
    if (!seen) return;
    if (seen.metres == null) {
      line.hidden = true;
      return;
    }
    const minutes = seen.minutes == null ? '' : ` · ${say(section.dataset.msgMinutes, seen.minutes)}`;
    line.textContent = say(section.dataset.msgAway, seen.metres) + minutes;
    line.hidden = false;
  };
  setInterval(ask, 15_000);
}

function listen(order, shown) {
  const source = new EventSource('/api/v1/me/events');
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
  // An event is an envelope ({id, type, created_at, data}); the order is its data.
  const heard = (message) => {
    let data;
    try { data = JSON.parse(message.data).data; } catch { return; }
    if (data?.order_id === order) again();
  };
  for (const kind of ['order.placed', 'order.accepted', 'order.rejected', 'order.preparing', 'order.ready',
    'order.completed', 'order.cancelled', 'order.expired', 'order.changed', 'order.awaiting_pharmacist',
    'delivery.claimed', 'delivery.at_pickup', 'delivery.picked_up', 'delivery.at_drop_off', 'delivery.delivered',
    'delivery.returning', 'delivery.returned', 'delivery.cancelled', 'delivery.offered']) {
    source.addEventListener(kind, heard);
  }
  // A move made before the stream opened, or while it was down, is not in it: ask once on every
  // (re)connection. EventSource reconnects by itself when the signal comes back.
  const check = async () => {
    const answer = await fetch(`/api/v1/me/orders/${order}`, { headers: { accept: 'application/json' } })
      .catch(() => null);
    if (!answer?.ok) return;
    const seen = await answer.json().catch(() => null);
    if (seen && seen.status !== shown) again();
  };
  source.addEventListener('open', check);
}
