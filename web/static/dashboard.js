// Dashboard: polls the analytics stats every 2 seconds.
const money = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

async function refresh() {
  const response = await fetch("/api/analytics/stats");
  if (!response.ok) return;
  const stats = await response.json();
  document.getElementById("kpi-orders").textContent = stats.totalOrders;
  document.getElementById("kpi-revenue").textContent = money.format(stats.totalRevenue);
  document.getElementById("kpi-aov").textContent = money.format(stats.averageOrderValue);
  document.getElementById("kpi-customers").textContent = stats.totalUsers;
}

refresh();
setInterval(refresh, 2000);
