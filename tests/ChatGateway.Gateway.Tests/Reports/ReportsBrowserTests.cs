using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatGateway.Gateway.Tests.Reports;

/// <summary>
/// The reports page in a real browser after <see cref="ScriptedDay"/>: the supervisor follows the desk's link, picks the
/// range, and reads the hour's numbers on the cards and in the table, with both charts drawn; an agent has no link and
/// is told the page is for supervisors.
/// </summary>
public sealed class ReportsBrowserTests
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    /// <summary>How many pixels of the canvas are not blank (drawn by Chart.js, not by the test).</summary>
    private const string PaintedPixels = """
        (canvas) => {
          const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          let painted = 0;
          for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted++;
          return painted;
        }
        """;

    [Fact]
    public async Task Supervisor_SeesTheHoursNumbers_AndTheChartsDrawn_AnAgentIsTurnedAway()
    {
        await using var day = await ScriptedDay.RunAsync();
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var errors = new List<string>();
        var desk = await browser.NewPageAsync(new() { BaseURL = day.Host.BaseAddress.ToString() });
        desk.PageError += (_, e) => errors.Add(e);
        await Browser.SignInOnlineAsync(desk, "alice");
        await desk.GetByTestId("desk-reports-link").ClickAsync();
        await Expect(desk).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/desk/reports\\.html$"));

        var shopDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(day.Start, Shanghai).DateTime);
        await desk.GetByTestId("reports-from").FillAsync(shopDay.AddDays(-1).ToString("yyyy-MM-dd"));
        await desk.GetByTestId("reports-to").FillAsync(shopDay.AddDays(1).ToString("yyyy-MM-dd"));
        await desk.GetByTestId("reports-group").SelectOptionAsync("agent");
        await desk.GetByTestId("reports-apply").ClickAsync();

        await Expect(desk.GetByTestId("reports-total-conversations")).ToHaveTextAsync("4");
        await Expect(desk.GetByTestId("reports-total-responseSeconds")).ToHaveTextAsync("192");
        await Expect(desk.GetByTestId("reports-total-firstResponseSeconds")).ToHaveTextAsync("165");
        await Expect(desk.GetByTestId("reports-total-answeredInTarget")).ToHaveTextAsync("50.0%");
        await Expect(desk.GetByTestId("reports-total-csat")).ToHaveTextAsync("50.0%");
        await Expect(desk.GetByTestId("reports-total-waitSeconds")).ToHaveTextAsync("80");
        var carol = desk.GetByTestId("reports-table").Locator("tbody tr", new() { HasText = "Carol" });
        await Expect(carol).ToContainTextAsync("240");
        await Expect(desk.GetByTestId("reports-table").Locator("tbody tr")).ToHaveCountAsync(4); // bob, carol, no agent, total

        foreach (var chart in new[] { "reports-chart-volume", "reports-chart-times" })
        {
            var painted = await desk.GetByTestId(chart).EvaluateAsync<int>(PaintedPixels);
            Assert.True(painted > 500, $"{chart}: {painted} painted pixels");
        }

        // By day: three days, the chart redrawn.
        await desk.GetByTestId("reports-group").SelectOptionAsync("day");
        await desk.GetByTestId("reports-apply").ClickAsync();
        await Expect(desk.GetByTestId("reports-table").Locator("tbody tr")).ToHaveCountAsync(4); // 3 days and the total
        Assert.Empty(errors);

        var agentPage = await browser.NewPageAsync(new() { BaseURL = day.Host.BaseAddress.ToString() });
        await Browser.SignInOnlineAsync(agentPage, "bob");
        await Expect(agentPage.GetByTestId("desk-reports-link")).ToBeHiddenAsync();
        await agentPage.GotoAsync("/desk/reports.html");
        await Expect(agentPage.GetByTestId("reports-denied")).ToContainTextAsync("supervisors only");
        await Expect(agentPage.GetByTestId("reports-filters")).ToBeHiddenAsync();
    }
}
