// The shop: a catalog, a cart for one demo customer, placing orders (one per submission, however
// often the button is pressed), a burst of random orders, and the customer's recent orders.
import {
  ApiError, el, formatMoney, newIdempotencyKey, postJson, requestJson, setText, statusBadge, toCents,
} from "./api.js";

const ORDERS_REFRESH_MS = 5000;
const RECENT_ORDERS = 10;
const RANDOM_BATCH = 10;
const SAMPLE_ADDRESSES = [
  "Seoul, Teheran-ro 427", "Busan, Haeundae-ro 264", "Incheon, Songdo-dong 24",
  "Daegu, Dongdeok-ro 190", "Daejeon, Dunsan-ro 100", "Gwangju, Sangmu-daero 773",
];

const state = {
  users: [],
  products: new Map(), // id → product
  cart: new Map(), // product id → quantity input element, in the order they were added
  submission: null, // { key, signature } of the cart last sent: a resend reuses its key
  busy: false,
  ordersSignature: "",
};

const $ = (id) => document.getElementById(id);

// ---- catalog and customers -------------------------------------------------------------

async function loadCatalog() {
  try {
    const [users, products] = await Promise.all([requestJson("/api/users"), requestJson("/api/products")]);
    state.users = users;
    for (const product of products) state.products.set(product.id, product);
    $("user").replaceChildren(...users.map((user) => el("option", { value: user.id }, `${user.name} (${user.email})`)));
    $("products").replaceChildren(...products.map(productCard));
    setText($("catalog-status"), "");
    $("catalog-status").hidden = true;
    refreshOrders();
  } catch (error) {
    setText($("catalog-status"), `The catalog could not be loaded: ${error.message}`);
  }
}

function productCard(product) {
  const button = el("button", { type: "button", class: "add", "aria-label": `Add ${product.name} to the order` }, "Add");
  button.addEventListener("click", () => addToCart(product.id));
  return el("li", { class: "product", "data-product-id": product.id },
    el("span", { class: "category" }, product.category),
    el("h3", {}, product.name),
    el("p", { class: "price" }, formatMoney(product.price)),
    button);
}

function selectedUser() {
  return state.users.find((user) => String(user.id) === $("user").value);
}

// ---- the cart ---------------------------------------------------------------------------

function addToCart(productId) {
  const existing = state.cart.get(productId);
  if (existing) {
    existing.value = String(Math.max(0, Number(existing.value) || 0) + 1);
  } else {
    state.cart.set(productId, quantityInput(productId));
    renderCart();
  }
  cartChanged();
  state.cart.get(productId).focus();
}

function quantityInput(productId) {
  const product = state.products.get(productId);
  const input = el("input", {
    type: "number", inputmode: "numeric", min: 1, max: 1000, value: 1, class: "quantity",
    id: `quantity-${productId}`, "aria-label": `Quantity of ${product.name}`,
  });
  input.addEventListener("input", cartChanged);
  return input;
}

/** Rebuilt only when a line is added or removed; typing a quantity just updates the sums, so
 * the input being typed in keeps its focus. */
function renderCart() {
  const lines = [...state.cart].map(([productId, input]) => {
    const product = state.products.get(productId);
    const remove = el("button", { type: "button", class: "remove", "aria-label": `Remove ${product.name}` }, "×");
    remove.addEventListener("click", () => {
      state.cart.delete(productId);
      renderCart();
      cartChanged();
      $("user").focus();
    });
    return el("div", { class: "cart-line", "data-product-id": productId },
      el("span", { class: "name" }, product.name),
      el("span", { class: "unit muted" }, `${formatMoney(product.price)} each`),
      input,
      el("span", { class: "subtotal", id: `subtotal-${productId}` }),
      remove);
  });
  const empty = el("p", { class: "muted empty" }, "Your cart is empty: add products from the catalog.");
  $("cart-lines").replaceChildren(...(lines.length ? lines : [empty]));
}

function cartChanged() {
  let totalCents = 0;
  for (const [productId, input] of state.cart) {
    const cents = toCents(state.products.get(productId).price) * Math.max(0, Math.trunc(Number(input.value) || 0));
    totalCents += cents;
    setText($(`subtotal-${productId}`), formatMoney(cents / 100));
  }
  setText($("cart-total"), formatMoney(totalCents / 100));
  updateButtons();
}

function updateButtons() {
  $("place-order").disabled = state.busy || state.cart.size === 0;
  $("random-orders").disabled = state.busy || state.users.length === 0;
}

function orderBody() {
  return {
    userId: Number($("user").value),
    shippingAddress: $("address").value,
    // No prices: the API takes the catalog's, so the total cannot disagree with it.
    items: [...state.cart].map(([productId, input]) => ({ productId, quantity: Number(input.value) })),
  };
}

// ---- placing orders ---------------------------------------------------------------------

async function placeOrder(event) {
  event.preventDefault();
  if (state.busy || state.cart.size === 0) return;
  const body = orderBody();
  const signature = JSON.stringify(body);
  // One key per cart submission: a double click, or pressing again after a lost answer, sends
  // the same key and the API answers with the order it already took instead of a second one.
  if (!state.submission || state.submission.signature !== signature) {
    state.submission = { key: newIdempotencyKey(), signature };
  }
  clearFieldErrors();
  setBusy(true, "Placing the order…");
  try {
    const order = await postJson("/api/orders", body, { "Idempotency-Key": state.submission.key });
    state.submission = null;
    state.cart.clear();
    renderCart();
    cartChanged();
    showOrderPlaced(order);
    refreshOrders();
  } catch (error) {
    showError(error, body);
  } finally {
    setBusy(false);
  }
}

async function createRandomOrders() {
  if (state.busy) return;
  clearFieldErrors();
  setBusy(true, `Creating ${RANDOM_BATCH} random orders…`);
  try {
    const sent = await Promise.allSettled(Array.from({ length: RANDOM_BATCH }, () =>
      postJson("/api/orders", randomOrder(), { "Idempotency-Key": newIdempotencyKey() })));
    const placed = sent.filter((result) => result.status === "fulfilled").map((result) => result.value);
    const failed = sent.filter((result) => result.status === "rejected").map((result) => result.reason);
    const worth = placed.reduce((cents, order) => cents + toCents(order.totalAmount), 0);
    if (failed.length) {
      showError(failed[0], null, `${placed.length} of ${RANDOM_BATCH} random orders were placed.`);
    } else {
      showMessage("success", `${placed.length} random orders placed, worth ${formatMoney(worth / 100)} in all.`);
    }
    refreshOrders();
  } finally {
    setBusy(false);
  }
}

function randomOrder() {
  const pick = (list) => list[Math.floor(Math.random() * list.length)];
  const products = [...state.products.keys()].sort(() => Math.random() - 0.5);
  const lines = 1 + Math.floor(Math.random() * 3);
  return {
    userId: pick(state.users).id,
    shippingAddress: pick(SAMPLE_ADDRESSES),
    items: products.slice(0, lines).map((productId) => ({ productId, quantity: 1 + Math.floor(Math.random() * 3) })),
  };
}

function setBusy(busy, text) {
  state.busy = busy;
  $("order-form").setAttribute("aria-busy", String(busy));
  if (text) showMessage("pending", text);
  updateButtons();
}

// ---- messages ---------------------------------------------------------------------------

function showMessage(kind, ...content) {
  const box = $("message");
  box.className = `message ${kind}`;
  box.replaceChildren(...content);
}

function showOrderPlaced(order) {
  const customer = state.users.find((user) => user.id === order.userId);
  showMessage("success",
    el("strong", {}, `Order ${order.id.slice(0, 8)} placed`),
    ` for ${customer ? customer.name : `customer ${order.userId}`}: ${formatMoney(order.totalAmount)}. `,
    el("a", { href: "/dashboard.html" }, "See it on the dashboard"));
}

/**
 * The API's message, then one line per detail naming the field as the page shows it; the
 * fields themselves are marked invalid. `body` is the order that was sent, if one was.
 */
function showError(error, body, lead = "Order not placed:") {
  const details = error instanceof ApiError ? error.details : [];
  const lines = details.map((detail) => el("li", {}, `${fieldLabel(detail.field, body)}: ${detail.message}`));
  for (const detail of details) markInvalid(detail.field, body, detail.message);
  showMessage("error", el("strong", {}, `${lead} ${error.message}`), ...(lines.length ? [el("ul", {}, ...lines)] : []));
}

/** The cart line input for a field path such as "items.0.quantity", if it names one. */
function itemInput(field, body) {
  const match = /^items\.(\d+)\./.exec(field || "");
  const item = match && body ? body.items[Number(match[1])] : null;
  return item ? state.cart.get(item.productId) : null;
}

function fieldLabel(field, body) {
  if (!field) return "Order";
  if (field === "shippingAddress") return "Shipping address";
  if (field === "userId") return "Customer";
  const input = itemInput(field, body);
  if (input) return input.getAttribute("aria-label");
  return field;
}

function markInvalid(field, body, message) {
  if (field === "shippingAddress") {
    $("address").setAttribute("aria-invalid", "true");
    setText($("address-error"), message);
  }
  const input = itemInput(field, body);
  if (input) input.setAttribute("aria-invalid", "true");
}

function clearFieldErrors() {
  for (const input of document.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  setText($("address-error"), "");
}

// ---- the customer's recent orders ---------------------------------------------------------

const placedAt = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });

async function refreshOrders() {
  const user = selectedUser();
  if (!user) return;
  setText($("orders-user"), user.name);
  try {
    const orders = await requestJson(`/api/orders/user/${encodeURIComponent(user.id)}?limit=${RECENT_ORDERS}`);
    if (selectedUser() !== user) return; // the picker moved on while this was loading
    renderOrders(orders);
  } catch (error) {
    setText($("orders-status"), `Orders could not be loaded: ${error.message}`);
  }
}

function renderOrders(orders) {
  // Polled: leave the table alone unless something in it changed.
  const signature = JSON.stringify(orders.map((order) => [order.id, order.version]));
  if (signature === state.ordersSignature) return;
  state.ordersSignature = signature;
  $("orders").replaceChildren(...orders.map(orderRow));
  setText($("orders-status"), orders.length ? "" : "No orders yet for this customer.");
}

function orderRow(order) {
  const items = order.items.map((item) => `${item.quantity} × ${item.productName}`).join(", ");
  return el("tr", { "data-order-id": order.id },
    el("td", {}, placedAt.format(new Date(order.createdAt))),
    el("td", {}, el("span", {}, items), el("span", { class: "address muted" }, order.shippingAddress)),
    el("td", { class: "num" }, formatMoney(order.totalAmount)),
    el("td", {}, statusBadge(order.status)));
}

// ---- wiring -------------------------------------------------------------------------------

$("order-form").addEventListener("submit", placeOrder);
$("random-orders").addEventListener("click", createRandomOrders);
$("address").addEventListener("input", () => {
  $("address").removeAttribute("aria-invalid");
  setText($("address-error"), "");
});
$("user").addEventListener("change", () => {
  state.ordersSignature = "";
  $("orders").replaceChildren();
  refreshOrders();
});
setInterval(() => { if (!document.hidden) refreshOrders(); }, ORDERS_REFRESH_MS);
loadCatalog();
