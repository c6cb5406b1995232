using System.Text.Json;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ChatGateway.Gateway.Tests.Routing;

/// <summary>
/// Nobody available: outside business hours (shop time zone, holidays) or with no able agent online,
/// the customer is told when someone will answer, once, through their own channel. Fake clock.
/// </summary>
public sealed class BusinessHoursTests
{
    private static Dictionary<string, string?> Hours(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["BusinessHours:TimeZone"] = "Asia/Shanghai",
            ["BusinessHours:Days:Monday"] = "09:00-21:00",
            ["BusinessHours:Days:Tuesday"] = "09:00-21:00",
            ["BusinessHours:Days:Wednesday"] = "09:00-21:00",
            ["BusinessHours:Holidays:0"] = "2026-11-25",
            ["BusinessHours:ClosedReply"] = "We are closed; we answer from {next}.",
            ["BusinessHours:NoAgentReply"] = "All agents are busy; you are number {position} in line.",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    [Theory]
    [InlineData("2026-11-23T14:30:00Z", "Tuesday 09:00 (Asia/Shanghai)")] // Monday 22:30 in Shanghai
    [InlineData("2026-11-24T23:30:00Z", "Monday 09:00 (Asia/Shanghai)")]  // Wednesday 07:30: a holiday; Thursday to Sunday are closed
    public async Task CustomerWritingWhileClosed_IsToldWhenTheShopOpens_AndWaitsForTheNextShift(string nowUtc, string next)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse(nowUtc));
        await using var host = await GatewayHost.StartAsync(clock: clock, settings: Hours());
        using var http = host.CreateClient();

        await RoutingTests.Inbound(http, "h1", "+10000000001", "are you open?");

        var reply = await WaitForOutboxAsync(http, 1);
        Assert.Equal($"We are closed; we answer from {next}.", reply[0].GetProperty("Text").GetString());
        Assert.Equal("Auto-reply", reply[0].GetProperty("AgentName").GetString());

        // It waits, and the first agent of the next shift gets it first thing.
        await using var alice = await host.SignInAsync("alice");
        var served = await alice.NextAssignedAsync();
        Assert.Equal("are you open?", served.Messages![0].Text);
    }

    [Fact]
    public async Task CustomerWritingWhenOpenButNobodyIsOnline_GetsOneAutoReply()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-23T03:00:00Z")); // Monday 11:00 in Shanghai
        await using var host = await GatewayHost.StartAsync(clock: clock, settings: Hours());
        using var http = host.CreateClient();

        await RoutingTests.Inbound(http, "o1", "+10000000002", "hello");
        await RoutingTests.Inbound(http, "o2", "+10000000002", "anyone?");

        var replies = await WaitForOutboxAsync(http, 1);
        await Task.Delay(500);
        replies = JsonDocument.Parse(await http.GetStringAsync("/channels/probe/outbox")).RootElement.EnumerateArray().ToList();
        Assert.Equal("All agents are busy; you are number 1 in line.", Assert.Single(replies).GetProperty("Text").GetString());
    }

    [Fact]
    public async Task ShopThatTurnedTheBusyReplyOff_SendsNone_ButStillQueuesTheConversation()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-23T03:00:00Z")); // open, nobody online
        await using var host = await GatewayHost.StartAsync(clock: clock, settings: Hours(("BusinessHours:NoAgentReply", "")));
        using var http = host.CreateClient();

        await RoutingTests.Inbound(http, "off1", "+10000000004", "hello");
        await Task.Delay(500);
        Assert.Equal("[]", await http.GetStringAsync("/channels/probe/outbox"));

        await using var alice = await host.SignInAsync("alice");
        Assert.Equal("hello", (await alice.NextAssignedAsync()).Messages![0].Text);
    }

    [Fact]
    public async Task CustomerWritingWhileAnAgentIsOnline_GetsNoAutoReply()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-23T03:00:00Z"));
        await using var host = await GatewayHost.StartAsync(clock: clock, settings: Hours());
        await using var alice = await host.SignInAsync("alice");
        using var http = host.CreateClient();

        await RoutingTests.Inbound(http, "a1", "+10000000003", "hello");
        await alice.NextAssignedAsync();
        await Task.Delay(500);

        Assert.Equal("[]", await http.GetStringAsync("/channels/probe/outbox"));
    }

    [Fact]
    public void Start_BadBusinessHours_FailsNamingEveryKey()
    {
        var host = GatewayHost.Create(RedisBackend.Garnet, null, Hours(("BusinessHours:TimeZone", "Mars/Olympus"), ("BusinessHours:Days:Funday", "09:00-18:00"), ("BusinessHours:Days:Monday", "21:00-09:00"), ("BusinessHours:Holidays:0", "25/12/2026")));

        var ex = Assert.ThrowsAny<Exception>(() => host.StartServerAsync().GetAwaiter().GetResult());
        var message = (ex as OptionsValidationException ?? ex.InnerException as OptionsValidationException ?? throw ex).Message;

        Assert.Contains("BusinessHours:TimeZone 'Mars/Olympus' is not a known time zone", message);
        Assert.Contains("BusinessHours:Days:Funday is not a day of the week", message);
        Assert.Contains("BusinessHours:Days:Monday '21:00-09:00' must be HH:mm-HH:mm", message);
        Assert.Contains("BusinessHours:Holidays:0 '25/12/2026' must be a date yyyy-MM-dd", message);
    }

    private static async Task<List<JsonElement>> WaitForOutboxAsync(HttpClient http, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var sent = JsonDocument.Parse(await http.GetStringAsync("/channels/probe/outbox")).RootElement.EnumerateArray().ToList();
            if (sent.Count >= count || DateTime.UtcNow > deadline)
            {
                Assert.Equal(count, sent.Count);
                return sent;
            }

            await Task.Delay(50);
        }
    }
}
