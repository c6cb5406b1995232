using System.Globalization;
using System.Text.Json;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatGateway.Gateway.Tests.ConversationActions;

/// <summary>
/// An agent on a laptop set to New York works for a Shanghai shop: the send-later and snooze pickers are on the shop's
/// clock (labelled with its zone), so 09:00 picked is 09:00 in Shanghai (01:00Z) as stored, shown, and put back in the
/// picker for an edit; the conversion follows DST changes of a zone that has them.
/// </summary>
public sealed class ShopClockPickerBrowserTests
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    [Fact]
    public async Task AgentInNewYork_SchedulesAndSnoozesForAShanghaiShop_TheStoredTimesAreShanghaiTimes()
    {
        // No quiet hours (start = end), so that 09:00 may be scheduled whenever the test runs.
        await using var host = await GatewayHost.StartAsync(settings: new Dictionary<string, string?> { ["FollowUps:QuietHours"] = "00:00-00:00" });
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var errors = new List<string>();
        var desk = await (await browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString(), TimezoneId = "America/New_York", Locale = "en-US" })).NewPageAsync();
        desk.PageError += (_, e) => errors.Add("desk: " + e);
        await Browser.SignInOnlineAsync(desk, "bob");
        var shop = await (await browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString() })).NewPageAsync();
        shop.PageError += (_, e) => errors.Add("shop: " + e);
        await Browser.OpenChatAsync(shop);
        await shop.GetByTestId("cgw-input").FillAsync("你好，这件外套有M码吗？");
        await shop.GetByTestId("cgw-send").ClickAsync();
        var conversation = desk.GetByTestId("desk-conversation");
        await Expect(conversation).ToHaveCountAsync(1);
        await conversation.ClickAsync();
        var id = await conversation.GetAttributeAsync("data-conversation-id");

        // The picker is labelled with the shop's zone; its minimum and default are on the shop's clock, not New York's.
        var before = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, Shanghai);
        await desk.GetByTestId("desk-reply").FillAsync("M码后天上午到货");
        await desk.GetByTestId("desk-send-later").ClickAsync();
        await Expect(desk.GetByTestId("desk-send-later-zone")).ToHaveTextAsync("Shop time (Asia/Shanghai)");
        var picker = desk.GetByTestId("desk-send-later-at");
        var min = await picker.GetAttributeAsync("min");
        var after = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, Shanghai);
        Assert.Contains(min, new[] { before.AddMinutes(1).ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture), after.AddMinutes(1).ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture) });
        var shownDefault = await picker.InputValueAsync();
        Assert.True(string.CompareOrdinal(shownDefault, min) >= 0, $"default {shownDefault} before the minimum {min}");
        Assert.Matches(@"T\d\d:00$", shownDefault);

        // 09:00 the day after tomorrow in Shanghai: stored as 01:00Z, shown as 09:00.
        var day = before.Date.AddDays(2);
        var nine = new DateTimeOffset(day.AddHours(9), TimeSpan.FromHours(8));
        await picker.FillAsync(nine.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture));
        await desk.GetByTestId("desk-send-later-confirm").ClickAsync();
        var scheduled = desk.GetByTestId("desk-scheduled-item");
        await Expect(scheduled).ToHaveCountAsync(1);
        await Expect(desk.GetByTestId("desk-scheduled-when")).ToContainTextAsync("09:00");
        var stored = await GetJsonAsync(desk, $"/api/conversations/{id}/scheduled-replies");
        var sendAt = DateTimeOffset.Parse(stored[0].GetProperty("sendAt").GetString()!, CultureInfo.InvariantCulture);
        Assert.Equal(nine.UtcDateTime, sendAt.UtcDateTime);
        Assert.Equal(1, sendAt.UtcDateTime.Hour);

        // Edit: the picker shows 09:00 again (not 20:00 the day before, New York's reading); moved to 10:15 Shanghai.
        await desk.GetByTestId("desk-scheduled-edit").ClickAsync();
        await Expect(picker).ToHaveValueAsync(nine.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture));
        var quarterPastTen = nine.AddMinutes(75);
        await picker.FillAsync(quarterPastTen.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture));
        await desk.GetByTestId("desk-send-later-confirm").ClickAsync();
        await Expect(desk.GetByTestId("desk-scheduled-when")).ToContainTextAsync("10:15");
        stored = await GetJsonAsync(desk, $"/api/conversations/{id}/scheduled-replies");
        var planned = stored.Where(r => r.GetProperty("status").GetString() == "planned").ToList();
        Assert.Single(planned);
        Assert.Equal(quarterPastTen.UtcDateTime, DateTimeOffset.Parse(planned[0].GetProperty("sendAt").GetString()!, CultureInfo.InvariantCulture).UtcDateTime);

        // Snooze until 08:30 the day after tomorrow, Shanghai: 00:30Z stored, 08:30 on the badge.
        await desk.GetByTestId("desk-snooze").ClickAsync();
        await Expect(desk.GetByTestId("desk-snooze-zone")).ToHaveTextAsync("Shop time (Asia/Shanghai)");
        var half = nine.AddMinutes(-30);
        await desk.GetByTestId("desk-snooze-until").FillAsync(half.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture));
        await desk.GetByTestId("desk-snooze-confirm").ClickAsync();
        await Expect(conversation).ToHaveAttributeAsync("data-snoozed", "true");
        await Expect(conversation.GetByTestId("desk-snoozed-badge")).ToContainTextAsync("08:30");
        var mine = await GetJsonAsync(desk, "/api/conversations");
        var snoozed = mine.Single(c => c.GetProperty("id").GetString() == id);
        Assert.Equal(half.UtcDateTime, DateTimeOffset.Parse(snoozed.GetProperty("snoozedUntil").GetString()!, CultureInfo.InvariantCulture).UtcDateTime);

        // The conversion itself across DST changes of a zone that has them (New York), and a time the clocks skip.
        var converted = await desk.EvaluateAsync<string>("""
            () => [
              shopLocalToIso('2027-03-13T09:00', 'America/New_York'),
              shopLocalToIso('2027-03-14T09:00', 'America/New_York'),
              shopLocalToIso('2027-03-14T02:30', 'America/New_York'),
              shopLocalToIso('2026-11-01T01:30', 'America/New_York'),
              shopLocalToIso('2026-11-02T09:00', 'America/New_York'),
              shopInputValue('2027-03-14T13:00:00Z', 'America/New_York'),
              shopLocalToIso('not a time'),
            ].join(' ')
            """);
        Assert.Equal(
            "2027-03-13T09:00:00-05:00 2027-03-14T09:00:00-04:00 2027-03-14T03:30:00-04:00 2026-11-01T01:30:00-04:00 2026-11-02T09:00:00-05:00 2027-03-14T09:00 ",
            converted);
        Assert.Empty(errors);
    }

    private static async Task<List<JsonElement>> GetJsonAsync(IPage page, string url)
    {
        var response = await page.APIRequest.GetAsync(url);
        Assert.True(response.Ok, $"{url}: {response.Status}");
        using var doc = JsonDocument.Parse(await response.TextAsync());
        return doc.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }
}
