// Shop page: fills the pickers from the catalog API and posts orders.
const money = new Intl.NumberFormat(undefined, { minimumFractionDigits: 0, maximumFractionDigits: 2 });

async function getJson(path) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

function option(value, text) {
  const element = document.createElement("option");
  element.value = value;
  element.textContent = text;
  return element;
}

async function loadCatalog() {
  const [users, products] = await Promise.all([getJson("/api/users"), getJson("/api/products")]);
  document.getElementById("user").replaceChildren(...users.map((u) => option(u.id, u.name)));
  document.getElementById("product").replaceChildren(
    ...products.map((p) => option(p.id, `${p.name} (${money.format(p.price)})`)));
}

document.getElementById("order-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const message = document.getElementById("message");
  const body = {
    userId: Number(document.getElementById("user").value),
    shippingAddress: document.getElementById("address").value,
    items: [{ productId: Number(document.getElementById("product").value),
              quantity: Number(document.getElementById("quantity").value) }],
  };
  const response = await fetch("/api/orders", {
    method: "POST",
    headers: { "Content-Type": "application/json", "Idempotency-Key": crypto.randomUUID() },
    body: JSON.stringify(body),
  });
  const payload = await response.json();
  message.textContent = response.ok
    ? `Order ${payload.id} placed: ${money.format(payload.totalAmount)}`
    : `Error: ${payload.error.message}`;
});

loadCatalog().catch((error) => { document.getElementById("message").textContent = String(error); });
