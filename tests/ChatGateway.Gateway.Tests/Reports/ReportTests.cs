using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace ChatGateway.Gateway.Tests.Reports;

/// <summary>
/// The supervisor's report read against <see cref="ScriptedDay"/>, whose numbers are worked out by hand: by agent, skill,
/// channel, day and hour, as JSON and CSV; agents get 403. Bad input tried (each a 400 with a reason): a date that is not
/// one (2026-13-01), a timestamp for a date, from after to, a range of 367 days, groupBy=week, an agentId that is no GUID,
/// from given twice.
/// </summary>
public sealed class ReportTests(ReportTests.Played played) : IClassFixture<ReportTests.Played>
{
    /// <summary>The scripted hour, played once for the class: the tests only read reports of it.</summary>
    public sealed class Played : IAsyncLifetime
    {
        internal ScriptedDay Day { get; private set; } = null!;

        public async ValueTask InitializeAsync() => Day = await ScriptedDay.RunAsync();

        public async ValueTask DisposeAsync() => await Day.DisposeAsync();
    }

    private readonly ScriptedDay _day = played.Day;

    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    private string Range()
    {
        var first = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(_day.Start, Shanghai).DateTime);
        return $"from={first.AddDays(-1):yyyy-MM-dd}&to={first.AddDays(1):yyyy-MM-dd}";
    }

    private async Task<JsonElement> ReportAsync(string query)
    {
        var response = await _day.Alice.Http.GetAsync($"/api/reports?{Range()}&{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static double? Value(JsonElement values, string name) =>
        values.GetProperty(name).ValueKind == JsonValueKind.Null ? null : values.GetProperty(name).GetDouble();

    private static JsonElement Row(JsonElement report, string label) =>
        report.GetProperty("rows").EnumerateArray().Single(r => r.GetProperty("label").GetString() == label).GetProperty("values");

    [Fact]
    public async Task Totals_AreTheHourWorkedOutByHand()
    {
        var total = (await ReportAsync("groupBy=agent")).GetProperty("total");

        // Turns: A 120 s and 300 s, B 60 s and one unanswered, D 180 s, C 300 s; the target is 180 s, included.
        Assert.Equal(6, Value(total, "turns"));
        Assert.Equal(5, Value(total, "answered"));
        Assert.Equal(192.0, Value(total, "responseSeconds")); // (120 + 300 + 60 + 180 + 300) / 5
        Assert.Equal(0.5, Value(total, "answeredInTarget")); // A 120, B 60, D 180 of 6
        // First responses: A 120, B 60, D 180, C 300 (the automatic reply to C and D's note are no answer).
        Assert.Equal(4, Value(total, "firstResponses"));
        Assert.Equal(165.0, Value(total, "firstResponseSeconds"));
        Assert.Equal(0.75, Value(total, "firstResponseInTarget"));

        Assert.Equal(4, Value(total, "conversations"));
        Assert.Equal(80.0, Value(total, "waitSeconds")); // A 0, B 0, C 240; D was passed on
        Assert.Equal(2, Value(total, "closed"));
        Assert.Equal(1140.0, Value(total, "resolutionSeconds")); // A 20 min, D 18 min
        Assert.Equal(1110.0, Value(total, "handlingSeconds")); // A 20 min with carol, D 17 min with bob
        Assert.Equal(1, Value(total, "transfers"));
        Assert.Equal(1, Value(total, "transferredConversations"));
        Assert.Equal(2, Value(total, "ratings"));
        Assert.Equal(4.0, Value(total, "ratingAverage"));
        Assert.Equal(0.5, Value(total, "csat"));
        Assert.Equal(1, Value(total, "followUpsSent"));
        Assert.Equal(1, Value(total, "followUpsSkipped"));
        Assert.Equal(2, Value(total, "phraseOverrides")); // bob's two phrases sent anyway in D
    }

    [Fact]
    public async Task ByAgent_EachAnswerCountsForWhoGaveIt_AndRatingsForWhoClosed()
    {
        var report = await ReportAsync("groupBy=agent");
        var carol = Row(report, "Carol");
        Assert.Equal((3d, 3d, 240d), (Value(carol, "turns")!.Value, Value(carol, "answered")!.Value, Value(carol, "responseSeconds")!.Value));
        Assert.Equal(0.3333, Value(carol, "answeredInTarget"));
        Assert.Equal((2d, 1d, 5d), (Value(carol, "conversations")!.Value, Value(carol, "csat")!.Value, Value(carol, "ratingAverage")!.Value));

        var bob = Row(report, "Bob");
        Assert.Equal((3d, 2d, 120d), (Value(bob, "turns")!.Value, Value(bob, "answered")!.Value, Value(bob, "responseSeconds")!.Value));
        Assert.Equal(0.6667, Value(bob, "answeredInTarget"));
        Assert.Equal((2d, 0d, 3d), (Value(bob, "conversations")!.Value, Value(bob, "csat")!.Value, Value(bob, "ratingAverage")!.Value));
        Assert.Equal((2d, 0d), (Value(bob, "phraseOverrides")!.Value, Value(carol, "phraseOverrides")!.Value));

        // Filtered to bob: only his row, the same numbers.
        var bobId = _day.Bob.Agent.Id;
        var onlyBob = await ReportAsync($"groupBy=skill&agentId={bobId}");
        Assert.Equal(3, Value(onlyBob.GetProperty("total"), "turns"));
        Assert.Equal(2, Value(onlyBob.GetProperty("total"), "conversations"));
    }

    [Fact]
    public async Task BySkillChannelDayAndHour_TheRowsAddUpToTheHour()
    {
        var skills = await ReportAsync("groupBy=skill");
        Assert.Equal(2, Value(Row(skills, "logistics"), "conversations")); // A, C
        Assert.Equal(2, Value(Row(skills, "complaints"), "conversations")); // B, D (passed to complaints)
        Assert.Equal(3, Value(Row(skills, "complaints"), "turns"));
        Assert.Equal(1, Value((await ReportAsync("groupBy=agent&skill=logistics")).GetProperty("total"), "closed"));

        var channels = await ReportAsync("groupBy=channel");
        Assert.Equal(6, Value(Row(channels, "probe"), "turns"));
        Assert.Equal(0, Value((await ReportAsync("groupBy=day&channel=sms-main")).GetProperty("total"), "turns"));

        var days = await ReportAsync("groupBy=day");
        Assert.Equal(3, days.GetProperty("rows").GetArrayLength()); // every day of the range, empty ones too
        var hours = await ReportAsync("groupBy=hour");
        Assert.Equal(24, hours.GetProperty("rows").GetArrayLength());
        foreach (var (rows, key) in new[] { (days, "yyyy-MM-dd"), (hours, "HH") })
        {
            var expectedTurns = ScriptedDay.TurnStarts.GroupBy(m => TimeZoneInfo.ConvertTime(_day.Start.AddMinutes(m), Shanghai).ToString(key)).ToDictionary(g => g.Key, g => g.Count());
            var expectedOpened = ScriptedDay.ConversationStarts.GroupBy(m => TimeZoneInfo.ConvertTime(_day.Start.AddMinutes(m), Shanghai).ToString(key)).ToDictionary(g => g.Key, g => g.Count());
            foreach (var row in rows.GetProperty("rows").EnumerateArray())
            {
                var k = row.GetProperty("key").GetString()!;
                Assert.Equal(expectedTurns.GetValueOrDefault(k), Value(row.GetProperty("values"), "turns"));
                Assert.Equal(expectedOpened.GetValueOrDefault(k), Value(row.GetProperty("values"), "conversations"));
            }
        }
    }

    [Fact]
    public async Task AsCsv_OneLinePerAgentAndTheTotal()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/reports?{Range()}&groupBy=agent");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        var response = await _day.Alice.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("attachment", response.Content.Headers.ContentDisposition?.ToString() ?? response.Headers.GetValues("Content-Disposition").Single());
        var lines = (await response.Content.ReadAsStringAsync()).TrimStart('\uFEFF').Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].Split(',');
        Assert.Equal(["key", "label", "conversations"], header[..3]);
        var total = lines.Single(l => l.StartsWith("total,", StringComparison.Ordinal)).Split(',');
        Assert.Equal("192", total[Array.IndexOf(header, "responseSeconds")]);
        Assert.Equal("0.5", total[Array.IndexOf(header, "csat")]);
        var carol = lines.Single(l => l.Contains(",Carol,", StringComparison.Ordinal)).Split(',');
        Assert.Equal("240", carol[Array.IndexOf(header, "responseSeconds")]);
        var nobody = lines.Single(l => l.Contains("No agent", StringComparison.Ordinal)).Split(','); // the shop's own follow-ups
        Assert.Equal(("1", "1"), (nobody[Array.IndexOf(header, "followUpsSent")], nobody[Array.IndexOf(header, "followUpsSkipped")]));
        Assert.Equal(5, lines.Length); // header, bob, carol, no agent, total
    }

    [Fact]
    public async Task Agents_AreForbidden_AndStrangersUnauthorised()
    {
        Assert.Equal(HttpStatusCode.Forbidden, (await _day.Bob.Http.GetAsync($"/api/reports?{Range()}")).StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/reports");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        Assert.Equal(HttpStatusCode.Forbidden, (await _day.Carol.Http.SendAsync(request)).StatusCode);
        using var stranger = _day.Host.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.GetAsync("/api/reports")).StatusCode);
    }

    [Theory]
    [InlineData("from=2026-13-01", "yyyy-MM-dd")]
    [InlineData("from=2026-12-01T00:00:00Z", "yyyy-MM-dd")]
    [InlineData("from=2026-12-07&to=2026-12-01", "is after")]
    [InlineData("from=2025-01-01&to=2026-01-02", "at most 366")]
    [InlineData("groupBy=week", "groupBy must be one of agent, skill, channel, day, hour")]
    [InlineData("agentId=bob", "agentId")]
    [InlineData("from=2026-12-01&from=2026-12-02", "more than once")]
    public async Task BadInput_Is400WithAReason(string query, string reason)
    {
        var response = await _day.Alice.Http.GetAsync($"/api/reports?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString();
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoDates_AreTheLastSevenShopDays_ByDay()
    {
        var report = await (await _day.Alice.Http.GetAsync("/api/reports")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("day", report.GetProperty("groupBy").GetString());
        Assert.Equal(7, report.GetProperty("rows").GetArrayLength());
        Assert.Equal("Asia/Shanghai", report.GetProperty("timeZone").GetString());
        Assert.Equal(180, report.GetProperty("responseTargetSeconds").GetDouble());
        Assert.Equal(6, Value(report.GetProperty("total"), "turns"));
    }
}
