using System.Globalization;
using System.Net;
using System.Text;
using Hangfire.Dashboard;
using Hangfire.Dashboard.Pages;
using Seckill.Web.Sales;

namespace Seckill.Web.Jobs.Dashboard;

/// <summary>
/// The dashboard's Sales page (<c>/hangfire/sales</c>): each running sale's conservation law term
/// by term, whether it holds, and this instance's last reconcile of its shard. It reloads itself
/// every two seconds.
/// </summary>
/// <remarks>
/// Hangfire renders its pages synchronously (<see cref="RazorPage.Execute"/>), so the figures are
/// read here by waiting for the asynchronous reads: an admin's page, a few times a minute, never
/// a buyer's request.
/// </remarks>
public sealed class SalesPage : RazorPage
{
    public const string Path = "/sales";

    public SalesPage() => Layout = new LayoutPage("Sales");

    public override void Execute()
    {
        var services = Context.GetHttpContext().RequestServices;
        var catalog = services.GetRequiredService<SaleCatalog>();
        var report = services.GetRequiredService<StockReport>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var running = catalog.All.Where(sale => sale.HasStarted(now) && !sale.HasEnded(now)).OrderBy(sale => sale.Id).ToList();
        var figures = Task.Run(async () =>
        {
            var rows = new List<(Sale Sale, StockResponse? Stock)>();
            foreach (var sale in running)
            {
                rows.Add((sale, await report.ReadAsync(sale.Id, CancellationToken.None)));
            }
            return rows;
        }).GetAwaiter().GetResult();

        var html = new StringBuilder();
        html.Append("<div class=\"row\"><div class=\"col-md-12\"><h1 class=\"page-header\">Sales</h1>");
        if (figures.Count == 0)
        {
            html.Append("<div class=\"alert alert-info\">No sale is running.</div>");
        }
        foreach (var (sale, stock) in figures)
        {
            AppendSale(html, sale, stock);
        }
        AppendReconcile(html, services.GetRequiredService<ReconcileMemory>().Last);
        // Live: the page reloads itself (the dashboard's own pages poll the same way).
        html.Append("<script>setTimeout(function () { location.reload(); }, 2000);</script></div></div>");
        WriteLiteral(html.ToString());
    }

    private static void AppendSale(StringBuilder html, Sale sale, StockResponse? stock)
    {
        html.Append(CultureInfo.InvariantCulture, $"<h3 id=\"sale-{sale.Id}\">Sale {sale.Id}: {Encode(sale.Name)} ({Encode(sale.Sku)})</h3>");
        if (stock is null)
        {
            html.Append("<p>No figures.</p>");
            return;
        }
        var right = stock.Pool + stock.Available + stock.Reserved + stock.InTransit + stock.Sold;
        var holds = right == stock.Total;
        html.Append(CultureInfo.InvariantCulture,
            $"<p class=\"law\" data-holds=\"{(holds ? "true" : "false")}\">total {stock.Total} = pool {stock.Pool} + available {stock.Available} + reserved {stock.Reserved} + in transit {stock.InTransit} + sold {stock.Sold} (= {right}): ");
        html.Append(holds ? "<span class=\"label label-success\">holds</span></p>" : "<span class=\"label label-danger\">does not hold</span></p>");
        html.Append("<table class=\"table table-condensed stock\"><thead><tr>");
        foreach (var name in new[] { "total", "pool", "available", "reserved", "in transit", "sold", "awaiting payment", "paid", "cancelled", "expired", "failed" })
        {
            html.Append("<th>").Append(name).Append("</th>");
        }
        html.Append("</tr></thead><tbody><tr>");
        foreach (var value in new[] { stock.Total, stock.Pool, stock.Available, stock.Reserved, stock.InTransit, stock.Sold,
                     stock.AwaitingPayment, stock.Paid, stock.Cancelled, stock.Expired, stock.Failed })
        {
            html.Append(CultureInfo.InvariantCulture, $"<td>{value}</td>");
        }
        html.Append("</tr></tbody></table>");
        html.Append("<table class=\"table table-condensed shards\"><thead><tr><th>shard</th><th>available</th><th>reserved</th></tr></thead><tbody>");
        foreach (var shard in stock.Shards)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{shard.InstanceId}</td><td>{shard.Available}</td><td>{shard.Reserved}</td></tr>");
        }
        html.Append("</tbody></table>");
    }

    private static void AppendReconcile(StringBuilder html, ReconcileResult? last)
    {
        html.Append("<h3>Last reconcile of this instance's shard</h3>");
        if (last is null)
        {
            html.Append("<p class=\"reconcile\">Not run yet on this instance.</p>");
            return;
        }
        html.Append(CultureInfo.InvariantCulture, $"<p class=\"reconcile\">Shard {last.ShardId}: ");
        html.Append(last.Repair is null ? "no repair needed." : "repaired: " + Encode(last.Repair) + ".");
        html.Append(CultureInfo.InvariantCulture, $" Read in full: {last.Sales.Count} sales; unchanged since found exact: {last.Unchanged}.");
        html.Append("</p><table class=\"table table-condensed\"><thead><tr><th>sale</th><th>expected</th><th>actual</th><th>drift</th><th>in flight</th><th>missing marks</th><th>extra marks</th><th>stranded</th></tr></thead><tbody>");
        foreach (var sale in last.Sales)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{sale.SaleId}</td><td>{sale.Expected}</td><td>{sale.Actual}</td><td>{sale.Drift}</td><td>{sale.InFlight}</td><td>{sale.MissingMarks}</td><td>{sale.ExtraMarks}</td><td>{sale.StrandedUnits}</td></tr>");
        }
        html.Append("</tbody></table>");
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
