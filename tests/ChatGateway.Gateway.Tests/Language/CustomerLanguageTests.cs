using System.Text.Json;
using System.Text.RegularExpressions;
using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Tests.Routing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ChatGateway.Gateway.Tests.Language;

/// <summary>What the gateway sends by itself speaks the customer's language only: Chinese to a Chinese customer, English to an English one.</summary>
public sealed partial class CustomerLanguageTests
{
    private static Dictionary<string, string?> Hours(params (string Key, string? Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["BusinessHours:TimeZone"] = "Asia/Shanghai",
            ["BusinessHours:Days:Monday"] = "09:00-21:00",
            ["BusinessHours:Days:Tuesday"] = "09:00-21:00",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    [Fact]
    public async Task AutoReplies_WhileClosedAndWhenNobodyIsOnline_AreInTheCustomersLanguageOnly()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-23T14:30:00Z")); // Monday 22:30 in Shanghai: closed
        await using var host = await GatewayHost.StartAsync(clock: clock, settings: Hours(
            ("BusinessHours:NoAgentReplies:zh", "客服都在忙，您排在第{position}位，请稍等。"),
            ("BusinessHours:NoAgentReplies:en", "All agents are busy; you are number {position} in line.")));
        using var http = host.CreateClient();

        await RoutingTests.Inbound(http, "en1", "+10000000101", "Hi, are you open? I have a question about my order");
        await RoutingTests.Inbound(http, "zh1", "+10000000102", "你好，请问现在有人吗？我想问一下订单");
        var closed = await OutboxAsync(http, 2);
        Assert.Equal("Thanks for your message! We are closed right now and will answer from Tuesday 09:00 (Asia/Shanghai).", TextTo(closed, "+10000000101"));
        Assert.Equal("Auto-reply", From(closed, "+10000000101"));
        Assert.Equal("感谢您的留言！现在是休息时间，我们将于周二 09:00起为您回复。", TextTo(closed, "+10000000102"));
        Assert.Equal("自动回复", From(closed, "+10000000102"));
        Assert.DoesNotMatch(Han(), TextTo(closed, "+10000000101"));
        Assert.DoesNotMatch(Latin(), TextTo(closed, "+10000000102"));

        // Open on Tuesday, nobody online: the shop's own texts by language.
        clock.SetUtcNow(DateTimeOffset.Parse("2026-11-24T03:00:00Z"));
        await RoutingTests.Inbound(http, "en2", "+10000000103", "Hello, is the red dress in stock?");
        await RoutingTests.Inbound(http, "zh2", "+10000000104", "这件红色连衣裙还有货吗？");
        var busy = await OutboxAsync(http, 4);
        Assert.Matches(@"^All agents are busy; you are number \d in line\.$", TextTo(busy, "+10000000103")); // the closed-hours customers still wait too
        Assert.Matches(@"^客服都在忙，您排在第\d位，请稍等。$", TextTo(busy, "+10000000104"));
    }

    [Fact]
    public void Start_TextsInALanguageTheGatewayDoesNotKnow_FailsNamingTheKey()
    {
        var host = GatewayHost.Create(RedisBackend.Garnet, null, Hours(("BusinessHours:ClosedReplies:fr", "Nous sommes fermés."), ("FollowUps:ShopNames:jp", "デモ")));

        var ex = Assert.ThrowsAny<Exception>(() => host.StartServerAsync().GetAwaiter().GetResult());
        var message = (ex as OptionsValidationException ?? ex.InnerException as OptionsValidationException ?? throw ex).Message;

        Assert.Contains("BusinessHours:ClosedReplies:fr: the language must be zh or en.", message);
    }

    [Fact]
    public void Start_WidgetLanguageNotOneItSpeaks_FailsNamingTheInstanceAndKey()
    {
        var json = GatewayHost.DefaultPluginsJson().Replace("\"MaxMessageLength\": 500,", "\"MaxMessageLength\": 500, \"Language\": \"fr\",");
        var host = GatewayHost.Create(RedisBackend.Garnet, json, null);

        var ex = Assert.ThrowsAny<Exception>(() => host.StartServerAsync().GetAwaiter().GetResult());
        var load = ex as PluginLoadException ?? ex.InnerException as PluginLoadException ?? (ex as AggregateException)?.InnerExceptions.OfType<PluginLoadException>().FirstOrDefault();

        Assert.NotNull(load);
        Assert.Contains("(id 'webchat') settings: Language must be auto, zh-CN or en, not 'fr'.", load.Message);
    }

    private static string TextTo(List<JsonElement> sent, string phone) =>
        Assert.Single(sent, m => m.GetProperty("Recipient").GetProperty("ExternalId").GetString() == phone).GetProperty("Text").GetString()!;

    private static string From(List<JsonElement> sent, string phone) =>
        Assert.Single(sent, m => m.GetProperty("Recipient").GetProperty("ExternalId").GetString() == phone).GetProperty("AgentName").GetString()!;

    private static async Task<List<JsonElement>> OutboxAsync(HttpClient http, int count)
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

    [GeneratedRegex(@"\p{IsCJKUnifiedIdeographs}")]
    private static partial Regex Han();

    [GeneratedRegex("[A-Za-z]")]
    private static partial Regex Latin();
}
