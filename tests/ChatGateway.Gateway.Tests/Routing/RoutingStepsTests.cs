using System.Net.Http.Json;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ChatGateway.Gateway.Tests.Routing;

/// <summary>
/// Routing workflows as configuration: ordered steps with targets, priorities, overflow timeouts and
/// "skip when nobody able is online"; agent attributes; rules that reload and refuse bad reloads.
/// Demo agents: alice (pre-sale, vip), bob (after-sale, complaints, pre-sale), carol (logistics, after-sale).
/// </summary>
public sealed class RoutingStepsTests
{
    private static Dictionary<string, string?> Steps(bool skipVip = false, params (string Key, string? Value)[] extra)
    {
        var s = new Dictionary<string, string?>
        {
            ["Routing:VipQueue"] = "vip",
            ["Routing:VipContacts:0"] = "+19990000000",
            ["Routing:Steps:0:Name"] = "vip", ["Routing:Steps:0:Skills:0"] = "vip", ["Routing:Steps:0:Priority"] = "9",
            ["Routing:Steps:0:Timeout"] = "00:01:00", ["Routing:Steps:0:Next"] = "pre-sale", ["Routing:Steps:0:SkipWhenNobodyOnline"] = skipVip ? "true" : "false",
            ["Routing:Steps:1:Name"] = "pre-sale", ["Routing:Steps:1:Skills:0"] = "pre-sale",
            ["Routing:Steps:2:Name"] = "after-sale", ["Routing:Steps:2:Skills:0"] = "after-sale",
            ["Routing:Steps:3:Name"] = "logistics", ["Routing:Steps:3:Skills:0"] = "logistics",
            ["Routing:Steps:4:Name"] = "complaints", ["Routing:Steps:4:Skills:0"] = "complaints",
        };
        foreach (var (key, value) in extra)
        {
            s[key] = value;
        }

        return s;
    }

    [Fact]
    public async Task VipWaitingLongerThanTheStepTimeout_OverflowsToTheNextStep_KeepingItsPlace()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await GatewayHost.StartAsync(clock: clock, settings: Steps());
        await using var bob = await host.SignInAsync("bob"); // pre-sale, but not vip
        using var http = host.CreateClient();
        var id = (await RoutingTests.Inbound(http, "v1", "+19990000000", "I'm a VIP")).GetProperty("conversationId").GetGuid();
        var overflow = host.Services.GetRequiredService<OverflowService>();

        clock.Advance(TimeSpan.FromSeconds(59));
        await overflow.CheckAsync(CancellationToken.None);
        Assert.True(await bob.NothingAssignedWithinAsync(TimeSpan.FromMilliseconds(200)), "before the timeout it waits for a VIP agent");

        clock.Advance(TimeSpan.FromSeconds(2));
        await overflow.CheckAsync(CancellationToken.None);
        var served = await bob.NextAssignedAsync();
        Assert.Equal(id, served.Id);
        Assert.Equal("pre-sale", served.Skill);
        Assert.Equal(9, served.Priority);
        Assert.Contains("overflowed from vip after", served.RoutingReason);
    }

    [Fact]
    public async Task StepWithNobodyAbleOnline_IsSkipped_WhenItSaysSo()
    {
        await using var host = await GatewayHost.StartAsync(settings: Steps(skipVip: true));
        await using var bob = await host.SignInAsync("bob");
        using var http = host.CreateClient();

        await RoutingTests.Inbound(http, "v2", "+19990000000", "I'm a VIP");

        var served = await bob.NextAssignedAsync();
        Assert.Equal("pre-sale", served.Skill);
        Assert.Contains("skipped vip: nobody able online", served.RoutingReason);
    }

    [Fact]
    public async Task StepRequiringAnAttribute_GoesOnlyToAgentsWhoHaveIt()
    {
        await using var host = await GatewayHost.StartAsync(settings: Steps(false,
            ("Routing:Steps:5:Name", "after-sale-zh"), ("Routing:Steps:5:Skills:0", "after-sale"), ("Routing:Steps:5:Attributes:language", "zh"),
            ("Routing:Rules:1:Skill", "after-sale-zh"),
            ("Agents:Seed:2:Attributes:language:0", "zh"), ("Agents:Seed:2:Attributes:language:1", "en")));
        await using var bob = await host.SignInAsync("bob");     // after-sale, no Chinese
        await using var carol = await host.SignInAsync("carol"); // after-sale, speaks zh
        using var http = host.CreateClient();

        for (var i = 0; i < 2; i++)
        {
            await RoutingTests.Inbound(http, $"z{i}", $"+1000000001{i}", "我要退款");
        }

        Assert.Equal("after-sale-zh", (await carol.NextAssignedAsync()).Skill);
        Assert.Equal("after-sale-zh", (await carol.NextAssignedAsync()).Skill);
        Assert.True(await bob.NothingAssignedWithinAsync(TimeSpan.FromMilliseconds(300)), "bob does not speak zh");
    }

    [Fact]
    public async Task CustomersLanguage_PicksTheQueue_AndTagRulesMarkTheConversation()
    {
        await using var host = await GatewayHost.StartAsync(settings: Steps(false,
            ("Routing:Steps:5:Name", "after-sale-en"), ("Routing:Steps:5:Skills:0", "after-sale"), ("Routing:Steps:5:Attributes:language", "en"),
            ("Routing:Rules:1:Skill", "after-sale-en"), ("Routing:Rules:1:Languages:0", "en"),
            ("Routing:Rules:3:Name", "refund-zh"), ("Routing:Rules:3:Skill", "after-sale"), ("Routing:Rules:3:Keywords:0", "退款"),
            ("Routing:Tags:0:Tag", "urgent"), ("Routing:Tags:0:Keywords:0", "asap"), ("Routing:Tags:0:Keywords:1", "急"),
            ("Agents:Seed:2:Attributes:language:0", "en")));
        await using var bob = await host.SignInAsync("bob");     // after-sale, no English in his attributes
        await using var carol = await host.SignInAsync("carol"); // after-sale, speaks en
        using var http = host.CreateClient();

        var english = (await RoutingTests.Inbound(http, "l1", "+10000000051", "I need a refund ASAP")).GetProperty("conversationId").GetGuid();
        var got = await carol.NextAssignedAsync();
        Assert.Equal((english, "after-sale-en", "en"), (got.Id, got.Skill, got.Language));
        Assert.Equal(["urgent"], got.Tags!);
        Assert.Contains("in language 'en'", got.RoutingReason);
        Assert.True(await bob.NothingAssignedWithinAsync(TimeSpan.FromMilliseconds(300)), "bob does not speak en");

        // A Chinese refund goes to the Chinese-language rule; a later message adds its tag.
        var chinese = (await RoutingTests.Inbound(http, "l2", "+10000000052", "我要退款")).GetProperty("conversationId").GetGuid();
        await RoutingTests.Inbound(http, "l3", "+10000000052", "很急");
        await using var db = host.CreateDbContext();
        var stored = await db.Conversations.SingleAsync(c => c.Id == chinese);
        Assert.Equal(("after-sale", "zh", "urgent"), (stored.Skill, stored.Language, stored.Tags));
    }

    [Fact]
    public void Start_BadSteps_FailsNamingEveryStep()
    {
        var host = GatewayHost.Create(RedisBackend.Garnet, null, Steps(false,
            ("Routing:Steps:1:Skills:0", "bargaining"),
            ("Routing:Steps:1:Timeout", "00:01:00"), ("Routing:Steps:1:Next", "vip"),
            ("Routing:Steps:2:Timeout", "-00:00:05"), ("Routing:Steps:2:Next", "pre-sale"),
            ("Routing:Steps:3:Priority", "12"),
            ("Routing:Steps:4:Next", "nowhere")));

        var ex = Assert.ThrowsAny<Exception>(() => host.StartServerAsync().GetAwaiter().GetResult());
        var message = (ex as OptionsValidationException ?? ex.InnerException as OptionsValidationException ?? throw ex).Message;

        Assert.Contains("Routing:Steps:1:Skills (step 'pre-sale'): 'bargaining' is not in Routing:Skills.", message);
        Assert.Contains("Routing:Steps: overflow cycle", message);
        Assert.Contains("vip -> pre-sale -> vip", message);
        Assert.Contains("Routing:Steps:2:Timeout (step 'after-sale') must not be negative", message);
        Assert.Contains("Routing:Steps:3:Priority (step 'logistics') must be 0-9, not 12.", message);
        Assert.Contains("Routing:Steps:4:Next (step 'complaints') 'nowhere' is not a step.", message);
    }

    [Fact]
    public async Task RulesReload_ABadReloadKeepsTheLastGoodRules_AGoodOneTakesEffect()
    {
        await using var host = await GatewayHost.StartAsync();
        var rules = host.Services.GetRequiredService<RoutingRules>();
        await using var bob = await host.SignInAsync("bob");
        using var http = host.CreateClient();

        host.ReloadRouting("""{ "Routing": { "Rules": [ { "Name": "broken", "Skill": "nowhere", "Keywords": ["x"] } ] } }""");
        Assert.DoesNotContain(rules.Current.Options.Rules, r => r.Name == "broken");
        Assert.Equal("refund-return", rules.Current.Options.Rules[1].Name);
        await RoutingTests.Inbound(http, "r1", "+10000000020", "我要退款");
        Assert.Equal("after-sale", (await bob.NextAssignedAsync()).Skill);

        host.ReloadRouting("""{ "Routing": { "Rules": [ { "Name": "sizes", "Skill": "complaints", "Keywords": ["尺码", "size"] } ] } }""");
        Assert.Equal("sizes", rules.Current.Options.Rules[0].Name);
        await RoutingTests.Inbound(http, "r2", "+10000000021", "What size should I take?");
        var served = await bob.NextAssignedAsync();
        Assert.Equal("complaints", served.Skill);
        Assert.Contains("rule 'sizes'", served.RoutingReason);
    }
}
