using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Tests.CannedReplies;

/// <summary>
/// The forbidden-phrase guard (服务禁语) through the real host: the default list finds the classic phrases and leaves helpful
/// sentences alone, a reply carrying one is refused (422) unless the agent confirms, and each confirmed one is counted for the
/// supervisors. Bad inputs tried: a check without text, a check on someone else's conversation, a too long text, a count over
/// 0 days or asked by an agent, a phrase list whose pattern is not a regular expression and whose entry has no reason (at
/// start-up and on a live reload).
/// </summary>
public sealed class ReplyGuardApiTests
{
    [Fact]
    public async Task Check_FindsTheClassicPhrases_AndLeavesHelpfulSentencesAlone()
    {
        await using var host = await GatewayHost.StartAsync(settings: new Dictionary<string, string?> { ["ReplyGuard:Competitors:0"] = "某宝旗舰店" });
        await using var bob = await host.SignInAsync("bob", online: false);

        var forbidden = new Dictionary<string, string>
        {
            ["你知道吗，这个要先付款才能发货"] = "你知道吗",
            ["我查不到您的订单"] = "我查不到",
            ["我不是这里负责的，你问售后吧"] = "我不是这里负责的",
            ["这个不归我管"] = "不归我管",
            ["退货很麻烦的"] = "很麻烦",
            ["退貨很麻煩"] = "很麻煩",
            ["一定是仓库发错了，他们经常错"] = "一定是仓库发错了",
            ["不知道"] = "不知道",
            ["亲，我也不知道呢。"] = "亲，我也不知道呢。",
            ["没办法！"] = "没办法！",
            ["I don't know."] = "I don't know.",
            ["I don’t know"] = "I don’t know",
            ["Sorry, that's not my department."] = "not my department",
            ["That is NOT MY JOB"] = "NOT MY JOB",
            ["Please calm down, sir"] = "calm down",
            ["某宝旗舰店卖得更便宜"] = "某宝旗舰店",
        };
        foreach (var (text, phrase) in forbidden)
        {
            var matches = await CheckAsync(bob, text);
            var match = Assert.Single(matches);
            Assert.Equal(phrase, match.GetProperty("phrase").GetString());
            Assert.Equal(phrase, text.Substring(match.GetProperty("start").GetInt32(), match.GetProperty("length").GetInt32()));
            Assert.False(string.IsNullOrWhiteSpace(match.GetProperty("reason").GetString()), text);
            Assert.False(string.IsNullOrWhiteSpace(match.GetProperty("suggestion").GetString()), text);
        }

        var helpful = new[]
        {
            "不知道您方便告诉我订单号吗？我帮您查一下",
            "这个地址我们没办法直接改，不过可以帮您拦截快递重新发出",
            "肯定是我们弄错了，非常抱歉，马上给您补发",
            "请您提供一下订单号，我再帮您仔细查一下",
            "I don't know yet, but I'll check with the warehouse and get back to you today.",
            "Our department handles returns directly, so I can start it now.",
            "您好，已经发货了",
        };
        foreach (var text in helpful)
        {
            Assert.Empty(await CheckAsync(bob, text));
        }

        var reasons = (await CheckAsync(bob, "不知道")).Single();
        Assert.Contains("敷衍", reasons.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("我帮您确认一下", reasons.GetProperty("suggestion").GetString(), StringComparison.Ordinal);

        var noText = await bob.Http.PostAsJsonAsync("/api/replies/check", new { conversationId = (Guid?)null });
        Assert.Equal(HttpStatusCode.BadRequest, noText.StatusCode);
        var tooLong = await bob.Http.PostAsJsonAsync("/api/replies/check", new { text = new string('x', 4001) });
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        var notTheirs = await bob.Http.PostAsJsonAsync("/api/replies/check", new { conversationId = Guid.NewGuid(), text = "不知道" });
        Assert.Equal(HttpStatusCode.NotFound, notTheirs.StatusCode);
    }

    [Fact]
    public async Task Reply_WithAForbiddenPhrase_IsRefusedUnlessConfirmed_AndEachConfirmedOneIsCounted()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var alice = await host.SignInAsync("alice", online: false);
        await using var bob = await host.SignInAsync("bob");
        await using var visitor = await Visitor.ArriveAsync(host);
        await visitor.SendOkAsync("这个能退吗");
        var conversation = (await bob.NextAssignedAsync()).Id;
        var url = $"/api/conversations/{conversation}/messages";

        var refused = await bob.Http.PostAsJsonAsync(url, new { text = "不知道" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        var body = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("confirmForbidden", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("不知道", Assert.Single(body.GetProperty("matches").EnumerateArray()).GetProperty("phrase").GetString());
        // Nothing was stored or sent.
        Assert.DoesNotContain(await MessagesAsync(bob, conversation), m => m.GetProperty("text").GetString() == "不知道");
        Assert.Equal(0, (await OverridesAsync(alice)).GetProperty("total").GetInt32());

        // A plain reply goes out as before, uncounted.
        await bob.ReplyAsync(conversation, "可以的，签收7天内都能退");
        Assert.Equal(0, (await OverridesAsync(alice)).GetProperty("total").GetInt32());

        // Confirmed: sent, and counted with agent, conversation and phrase.
        var sent = await bob.Http.PostAsJsonAsync(url, new { text = "不知道", confirmForbidden = true });
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        var messageId = (await sent.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        Assert.Contains(await MessagesAsync(bob, conversation), m => m.GetProperty("text").GetString() == "不知道");
        var two = await bob.Http.PostAsJsonAsync(url, new { text = "Please calm down, it's not my job", confirmForbidden = true });
        Assert.Equal(HttpStatusCode.Accepted, two.StatusCode);

        var overrides = await OverridesAsync(alice);
        Assert.Equal(3, overrides.GetProperty("total").GetInt32());
        var bobs = Assert.Single(overrides.GetProperty("byAgent").EnumerateArray());
        Assert.Equal("Bob", bobs.GetProperty("agentName").GetString());
        Assert.Equal(3, bobs.GetProperty("count").GetInt32());
        var first = overrides.GetProperty("recent").EnumerateArray().Single(o => o.GetProperty("messageId").GetString() == messageId);
        Assert.Equal("不知道", first.GetProperty("phrase").GetString());
        Assert.Equal(conversation.ToString(), first.GetProperty("conversationId").GetString());
        Assert.Equal(
            "calm down|not my job",
            string.Join("|", overrides.GetProperty("recent").EnumerateArray().Where(o => o.GetProperty("messageId").GetString() != messageId).Select(o => o.GetProperty("phrase").GetString()).Order()));

        Assert.Equal(HttpStatusCode.Forbidden, (await bob.Http.GetAsync("/api/replies/overrides")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.Http.GetAsync("/api/replies/overrides?days=0")).StatusCode);
    }

    [Fact]
    public async Task BadPhraseList_StopsStartUp_NamingTheKeys()
    {
        await using var host = GatewayHost.Create(RedisBackend.Garnet, null, new Dictionary<string, string?>
        {
            ["ReplyGuard:Phrases:0:Pattern"] = "([",
            ["ReplyGuard:Phrases:0:Reason"] = "",
        });
        var ex = Assert.ThrowsAny<Exception>(() => host.StartServerAsync().GetAwaiter().GetResult());
        var message = (ex as OptionsValidationException ?? ex.InnerException as OptionsValidationException ?? throw ex).Message;
        Assert.Contains("ReplyGuard:Phrases:0:Pattern '([' is not a regular expression", message, StringComparison.Ordinal);
        Assert.Contains("ReplyGuard:Phrases:0: set Phrases or Pattern, not both", message, StringComparison.Ordinal);
        Assert.Contains("ReplyGuard:Phrases:0:Reason is required", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PhraseList_ReloadsLive_AndABadReloadKeepsTheLastGoodList()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var bob = await host.SignInAsync("bob", online: false);
        Assert.Empty(await CheckAsync(bob, "某东卖得更便宜"));

        host.ReloadRouting("""{ "ReplyGuard": { "Competitors": ["某东"] } }""");
        Assert.Equal("某东", Assert.Single(await CheckAsync(bob, "某东卖得更便宜")).GetProperty("phrase").GetString());

        // Not a regular expression: refused, and the list in force stays.
        host.ReloadRouting("""{ "ReplyGuard": { "Competitors": ["某东"], "Phrases": [{ "Pattern": "([" }] } }""");
        Assert.Equal("某东", Assert.Single(await CheckAsync(bob, "某东卖得更便宜")).GetProperty("phrase").GetString());
        Assert.Single(await CheckAsync(bob, "我查不到"));
    }

    private static async Task<List<JsonElement>> CheckAsync(AgentSession agent, string text)
    {
        var response = await agent.Http.PostAsJsonAsync("/api/replies/check", new { text });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("matches").EnumerateArray()];
    }

    private static async Task<JsonElement> OverridesAsync(AgentSession supervisor) =>
        await supervisor.Http.GetFromJsonAsync<JsonElement>("/api/replies/overrides");

    private static async Task<List<JsonElement>> MessagesAsync(AgentSession agent, Guid conversation) =>
        [.. (await agent.Http.GetFromJsonAsync<JsonElement>($"/api/conversations/{conversation}")).GetProperty("messages").EnumerateArray()];
}
