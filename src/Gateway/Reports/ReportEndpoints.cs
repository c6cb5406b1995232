using System.Globalization;
using System.Text;
using ChatGateway.Gateway.Agents;
using ChatGateway.Gateway.FollowUps;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace ChatGateway.Gateway.Reports;

/// <summary>
/// <c>GET /api/reports?from=&amp;to=&amp;groupBy=agent|skill|channel|day|hour&amp;channel=&amp;skill=&amp;agentId=</c> (supervisors
/// only): the service numbers of the shop's days <c>from</c> to <c>to</c> (both included, in the shop's time zone), one row
/// per group and a total; as CSV with <c>Accept: text/csv</c>. See the README's "Reports".
/// </summary>
internal static class ReportEndpoints
{
    private static readonly string[] Groupings = ["agent", "skill", "channel", "day", "hour"];

    public static void MapReportsApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/reports", GetReportAsync)
            .RequireAuthorization(AuthPolicies.Supervisor)
            .WithTags("Supervisor")
            .WithSummary("Service numbers by agent, skill, channel, day or hour (supervisors only)")
            .WithDescription(
                "Query: from, to (shop days, yyyy-MM-dd, both included; default the last 7 days), groupBy (agent, skill, channel, day, hour; "
                + "default day), filters channel (instance id), skill, agentId. JSON, or CSV with Accept: text/csv. 400 with { error } for a bad "
                + "date, from after to, a range over Reports:MaxDays days, an unknown groupBy or a bad agentId.")
            .Produces(StatusCodes.Status200OK, contentType: "application/json", additionalContentTypes: ["text/csv"])
            .Produces(StatusCodes.Status400BadRequest)
            .Produces(StatusCodes.Status403Forbidden);

    private static async Task<IResult> GetReportAsync(
        HttpContext http, ReportQueries queries, IDbContextFactory<GatewayDbContext> dbFactory, ShopTime shop,
        IOptionsMonitor<ReportsOptions> options, TimeProvider time, CancellationToken ct)
    {
        var settings = options.CurrentValue;
        var now = time.GetUtcNow();
        var query = http.Request.Query;
        var (error, first, last, groupBy, channel, skill, agentId) = Parse(query, shop, settings, now);
        if (error is not null)
        {
            return Results.Json(new { error }, statusCode: StatusCodes.Status400BadRequest);
        }

        var request = new ReportRequest(shop.At(first, TimeOnly.MinValue), shop.At(last.AddDays(1), TimeOnly.MinValue), groupBy, channel, skill, agentId, settings.ResponseTarget, now);
        var sums = await queries.SumAsync(request, ct);
        var rows = await RowsAsync(sums, request, first, last, shop, dbFactory, ct);
        var total = new CounterSums();
        foreach (var row in sums.Values)
        {
            total.Add(row);
        }

        http.Response.Headers.Vary = "Accept";
        var wantsCsv = http.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase));
        if (wantsCsv)
        {
            var name = $"report-{first:yyyy-MM-dd}-{last:yyyy-MM-dd}-{groupBy.ToString().ToLowerInvariant()}.csv";
            http.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}\"";
            return Results.Text(Csv(rows, total), "text/csv; charset=utf-8", Encoding.UTF8);
        }

        return Results.Ok(new
        {
            from = first.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            to = last.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            timeZone = shop.Zone.Id,
            groupBy = groupBy.ToString().ToLowerInvariant(),
            filters = new { channel, skill, agentId },
            responseTargetSeconds = settings.ResponseTarget.TotalSeconds,
            metrics = ReportMetrics.All.Select(m => new { name = m.Name, label = m.Label }),
            total = Values(total),
            rows = rows.Select(r => new { key = r.Key, label = r.Label, values = Values(r.Sums) }),
        });
    }

    private sealed record ReportRow(string Key, string Label, CounterSums Sums);

    private static Dictionary<string, double?> Values(CounterSums sums) => ReportMetrics.All.ToDictionary(m => m.Name, m => m.Value(sums));

    /// <summary>The rows in order: every day of the range and every hour of the day (zeros included, for charts); agents by name; the rest by key.</summary>
    private static async Task<List<ReportRow>> RowsAsync(
        Dictionary<string, CounterSums> sums, ReportRequest request, DateOnly first, DateOnly last, ShopTime shop,
        IDbContextFactory<GatewayDbContext> dbFactory, CancellationToken ct)
    {
        switch (request.GroupBy)
        {
            case ReportGrouping.Day or ReportGrouping.Hour:
                var folded = new SortedDictionary<string, CounterSums>(StringComparer.Ordinal);
                if (request.GroupBy == ReportGrouping.Day)
                {
                    for (var day = first; day <= last; day = day.AddDays(1))
                    {
                        folded[day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)] = new CounterSums();
                    }
                }
                else
                {
                    for (var hour = 0; hour < 24; hour++)
                    {
                        folded[hour.ToString("00", CultureInfo.InvariantCulture)] = new CounterSums();
                    }
                }

                foreach (var (bucket, row) in sums)
                {
                    var local = shop.ToShop(ReportQueries.BucketStart(long.Parse(bucket, CultureInfo.InvariantCulture)));
                    var key = request.GroupBy == ReportGrouping.Day
                        ? local.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
                        : local.Hour.ToString("00", CultureInfo.InvariantCulture);
                    if (folded.TryGetValue(key, out var into))
                    {
                        into.Add(row);
                    }
                }

                return folded.Select(p => new ReportRow(p.Key, request.GroupBy == ReportGrouping.Hour ? p.Key + ":00" : p.Key, p.Value)).ToList();
            case ReportGrouping.Agent:
                var ids = sums.Keys.Select(k => Guid.TryParse(k, out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty).ToList();
                await using (var db = await dbFactory.CreateDbContextAsync(ct))
                {
                    var names = await db.Agents.AsNoTracking().Where(a => ids.Contains(a.Id)).ToDictionaryAsync(a => a.Id.ToString("D"), a => a.DisplayName, ct);
                    return sums.Select(p => new ReportRow(p.Key, p.Key.Length == 0 ? "无客服 No agent" : names.GetValueOrDefault(p.Key, p.Key), p.Value))
                        .OrderBy(r => r.Key.Length == 0).ThenBy(r => r.Label, StringComparer.Ordinal).ToList();
                }

            default:
                return sums.Select(p => new ReportRow(p.Key, p.Key.Length == 0 ? "无 None" : p.Key, p.Value))
                    .OrderBy(r => r.Key.Length == 0).ThenBy(r => r.Key, StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>One line per row and the total last; a byte-order mark so that spreadsheets read the Chinese labels as UTF-8.</summary>
    private static string Csv(List<ReportRow> rows, CounterSums total)
    {
        var csv = new StringBuilder("\uFEFF");
        csv.Append("key,label");
        foreach (var metric in ReportMetrics.All)
        {
            csv.Append(',').Append(metric.Name);
        }

        csv.Append("\r\n");
        foreach (var row in rows.Append(new ReportRow("total", "合计 Total", total)))
        {
            csv.Append(Field(row.Key)).Append(',').Append(Field(row.Label));
            foreach (var metric in ReportMetrics.All)
            {
                csv.Append(',').Append(metric.Value(row.Sums)?.ToString(CultureInfo.InvariantCulture));
            }

            csv.Append("\r\n");
        }

        return csv.ToString();
    }

    /// <summary>A CSV field, quoted when it must be, and never read as a formula by a spreadsheet.</summary>
    private static string Field(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@')
        {
            value = "'" + value;
        }

        return value.IndexOfAny([',', '"', '\r', '\n']) < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    private sealed record Parsed(string? Error, DateOnly First, DateOnly Last, ReportGrouping GroupBy, string? Channel, string? Skill, Guid? AgentId);

    private static Parsed Parse(IQueryCollection query, ShopTime shop, ReportsOptions settings, DateTimeOffset now)
    {
        static Parsed Bad(string error) => new(error, default, default, default, null, null, null);

        foreach (var name in new[] { "from", "to", "groupBy", "channel", "skill", "agentId" })
        {
            if (query.TryGetValue(name, out var values) && values.Count > 1)
            {
                return Bad($"{name} is given more than once");
            }
        }

        var today = shop.DayOf(now);
        if (!TryDay(query["from"], out var first, out var fromGiven) || !TryDay(query["to"], out var last, out var toGiven))
        {
            return Bad("from and to must be dates as yyyy-MM-dd (days in the shop's time zone)");
        }

        last = toGiven ? last : (fromGiven && first.AddDays(6) < today ? first.AddDays(6) : today);
        first = fromGiven ? first : last.AddDays(-6);
        if (first > last)
        {
            return Bad($"from ({first:yyyy-MM-dd}) is after to ({last:yyyy-MM-dd})");
        }

        if (last.DayNumber - first.DayNumber + 1 > settings.MaxDays)
        {
            return Bad($"the range is {last.DayNumber - first.DayNumber + 1} days; a report covers at most {settings.MaxDays} (Reports:MaxDays)");
        }

        var groupText = query["groupBy"].ToString();
        var groupBy = ReportGrouping.Day;
        if (groupText.Length > 0)
        {
            if (!Groupings.Contains(groupText, StringComparer.OrdinalIgnoreCase))
            {
                return Bad($"groupBy must be one of {string.Join(", ", Groupings)}, not '{groupText}'");
            }

            groupBy = Enum.Parse<ReportGrouping>(groupText, ignoreCase: true);
        }

        Guid? agentId = null;
        var agentText = query["agentId"].ToString();
        if (agentText.Length > 0)
        {
            if (!Guid.TryParse(agentText, out var id))
            {
                return Bad("agentId must be an agent's id (a GUID)");
            }

            agentId = id;
        }

        var channel = Text(query["channel"]);
        var skill = Text(query["skill"]);
        if (channel?.Length > 64 || skill?.Length > 200)
        {
            return Bad("channel is at most 64 characters and skill at most 200");
        }

        return new(null, first, last, groupBy, channel, skill?.ToLowerInvariant(), agentId);
    }

    private static string? Text(StringValues value) => string.IsNullOrWhiteSpace(value.ToString()) ? null : value.ToString().Trim();

    private static bool TryDay(StringValues value, out DateOnly day, out bool given)
    {
        day = default;
        given = !string.IsNullOrWhiteSpace(value.ToString());
        return !given || DateOnly.TryParseExact(value.ToString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);
    }
}
