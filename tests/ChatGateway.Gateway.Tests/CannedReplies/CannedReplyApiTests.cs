using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Tests.Orders;

namespace ChatGateway.Gateway.Tests.CannedReplies;

/// <summary>
/// Canned replies through the real host: the starter set, variables filled from the conversation, scopes (shared, per
/// skill, personal) and who may change what. Bad inputs tried: a body that is not JSON, an empty and a too long shortcut, a
/// shortcut with a space, an empty and a too long title, an empty and a too long text, an unknown variable, a duplicate
/// shortcut among one's own and among the shared ones, an unknown skill, a skill on a personal reply, an agent creating or
/// changing a shared one (403), someone else's personal reply (404), an unknown id (404), a conversation not theirs (404).
/// </summary>
public sealed class CannedReplyApiTests
{
    [Fact]
    public async Task StarterSet_IsShared_AndFilledForTheConversation_WithAPoliteNameWhenUnknown()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var bob = await host.SignInAsync("bob");
        await using var visitor = await Visitor.ArriveAsync(host);
        await visitor.SendOkAsync("在吗");
        var conversation = (await bob.NextAssignedAsync()).Id;

        var replies = await ListAsync(bob, conversation);
        // Greeting, size, bargaining, payment reminder, shipping, returns, apology, closing: in Chinese and English.
        foreach (var shortcut in new[] { "nh", "cm", "yj", "cf", "fh", "th", "dq", "zb", "hello", "size", "price", "pay", "ship", "return", "sorry", "bye" })
        {
            Assert.Equal("shared", Find(replies, shortcut).GetProperty("scope").GetString());
            Assert.False(Find(replies, shortcut).GetProperty("editable").GetBoolean());
        }

        Assert.Equal("亲您好，欢迎光临演示小店！我是客服Bob，很高兴为您服务，请问有什么可以帮您？", Find(replies, "nh").GetProperty("filled").GetString());
        Assert.Equal("Hi there, welcome to Demo Shop! I'm Bob. How can I help you today?", Find(replies, "hello").GetProperty("filled").GetString());
        // No order: the order number stays a visible gap for the agent, the rest is filled.
        var reminder = Find(replies, "cf").GetProperty("filled").GetString()!;
        Assert.Contains("{order}", reminder, StringComparison.Ordinal);
        Assert.Contains("16:00前付款", reminder, StringComparison.Ordinal);

        // Without a conversation: the texts as written, nothing filled.
        var plain = (await bob.Http.GetFromJsonAsync<List<JsonElement>>("/api/canned-replies"))!;
        Assert.Equal(JsonValueKind.Null, Find(plain, "nh").GetProperty("filled").ValueKind);
        Assert.StartsWith("{name}您好", Find(plain, "nh").GetProperty("text").GetString(), StringComparison.Ordinal);

        var paths = (await bob.Http.GetFromJsonAsync<JsonElement>("/openapi/v1.json")).GetProperty("paths");
        foreach (var path in new[] { "/api/canned-replies", "/api/canned-replies/{id}", "/api/replies/check", "/api/replies/overrides" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} missing from the OpenAPI document");
        }

        // Someone else's conversation is not theirs to fill.
        await using var carol = await host.SignInAsync("carol");
        Assert.Equal(HttpStatusCode.NotFound, (await carol.Http.GetAsync($"/api/canned-replies?conversationId={conversation}")).StatusCode);
    }

    [Fact]
    public async Task CustomerWithAnOrder_GetsTheirNameAndTheOrderFilledIn()
    {
        await using var shop = await ShopOrders.StartAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 0));
        (await shop.PostAsync("order.created", ShopOrders.Created("1001", ShopOrders.ShopTime(2026, 12, 7, 10, 0)))).EnsureSuccessStatusCode();
        await using var bob = await shop.Host.SignInAsync("bob");
        Assert.Equal(HttpStatusCode.OK, (await shop.Http.SendAsync(FollowUpFiringTests.InboundSms("SM-canned-1", "还没付款，能便宜点吗"))).StatusCode);
        var conversation = (await bob.NextAssignedAsync()).Id;

        var replies = await ListAsync(bob, conversation);
        var reminder = Find(replies, "cf").GetProperty("filled").GetString()!;
        Assert.StartsWith("李雷您好", reminder, StringComparison.Ordinal);
        Assert.Contains("订单1001还没有完成付款", reminder, StringComparison.Ordinal);
        Assert.Contains("Hi 李雷, your order 1001", Find(replies, "pay").GetProperty("filled").GetString(), StringComparison.Ordinal);

        // A reply of bob's own with every order field.
        var created = await bob.Http.PostAsJsonAsync("/api/canned-replies", new { shortcut = "dd", title = "订单", text = "订单{order}：{product}，{amount}{currency}，状态：{state}" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("订单1001：羊毛围巾，199.00CNY，状态：待付款", Find(await ListAsync(bob, conversation), "dd").GetProperty("filled").GetString());
    }

    [Fact]
    public async Task Scopes_AgentsKeepTheirOwn_SupervisorsManageTheShared_PerSkill()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var alice = await host.SignInAsync("alice", online: false);
        await using var bob = await host.SignInAsync("bob", online: false);
        await using var carol = await host.SignInAsync("carol", online: false);

        // Bob's own reply: his alone.
        var mine = await CreateAsync(bob, new { shortcut = "TY", title = "退运费", text = "{name}，退货运费我们来承担。" });
        Assert.Equal("ty", mine.GetProperty("shortcut").GetString());
        Assert.Equal("personal", mine.GetProperty("scope").GetString());
        Assert.True(mine.GetProperty("editable").GetBoolean());
        var id = mine.GetProperty("id").GetString();
        Assert.DoesNotContain(await ListAsync(carol), r => r.GetProperty("id").GetString() == id);
        Assert.DoesNotContain(await ListAsync(alice), r => r.GetProperty("id").GetString() == id);
        Assert.Equal(HttpStatusCode.NotFound, (await carol.Http.PutAsJsonAsync($"/api/canned-replies/{id}", new { shortcut = "ty", title = "x", text = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await carol.Http.DeleteAsync($"/api/canned-replies/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.Http.DeleteAsync($"/api/canned-replies/{id}")).StatusCode);

        var edited = await bob.Http.PutAsJsonAsync($"/api/canned-replies/{id}", new { shortcut = "yf", title = "运费", text = "{name}，运费由我们承担。" });
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        Assert.Equal("yf", Find(await ListAsync(bob), "yf").GetProperty("shortcut").GetString());

        // Agents neither create nor change shared replies.
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.Http.PostAsJsonAsync("/api/canned-replies", new { shortcut = "kd", title = "快递", text = "默认发顺丰。", shared = true })).StatusCode);
        var greeting = Find(await ListAsync(bob), "nh").GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.Http.PutAsJsonAsync($"/api/canned-replies/{greeting}", new { shortcut = "nh", title = "x", text = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.Http.DeleteAsync($"/api/canned-replies/{greeting}")).StatusCode);

        // A shared reply for logistics: carol (logistics) sees it, bob does not; alice changes and deletes it.
        var parcel = await CreateAsync(alice, new { shortcut = "kd", title = "快递查询", text = "{name}，您的包裹单号是{tracking}。", shared = true, skill = "Logistics" });
        Assert.Equal("shared", parcel.GetProperty("scope").GetString());
        Assert.Equal("logistics", parcel.GetProperty("skill").GetString());
        var parcelId = parcel.GetProperty("id").GetString();
        Assert.Contains(await ListAsync(carol), r => r.GetProperty("id").GetString() == parcelId);
        Assert.DoesNotContain(await ListAsync(bob), r => r.GetProperty("id").GetString() == parcelId);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.DeleteAsync($"/api/canned-replies/{parcelId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await carol.Http.DeleteAsync($"/api/canned-replies/{parcelId}")).StatusCode);
        var changed = await alice.Http.PutAsJsonAsync($"/api/canned-replies/{parcelId}", new { shortcut = "kd", title = "快递查询", text = "{name}，单号{tracking}，承运：{carrier}。", skill = "logistics" });
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal("{name}，单号{tracking}，承运：{carrier}。", Find(await ListAsync(carol), "kd").GetProperty("text").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await alice.Http.DeleteAsync($"/api/canned-replies/{parcelId}")).StatusCode);
        Assert.DoesNotContain(await ListAsync(carol), r => r.GetProperty("shortcut").GetString() == "kd");

        Assert.Equal(HttpStatusCode.NoContent, (await bob.Http.DeleteAsync($"/api/canned-replies/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.DeleteAsync($"/api/canned-replies/{id}")).StatusCode);
        Assert.DoesNotContain(await ListAsync(bob), r => r.GetProperty("scope").GetString() == "personal");
    }

    [Fact]
    public async Task BadInputs_AreRefusedWithAReason_AndChangeNothing()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var alice = await host.SignInAsync("alice", online: false);
        await using var bob = await host.SignInAsync("bob", online: false);
        await CreateAsync(bob, new { shortcut = "ty", title = "退运费", text = "退货运费我们来承担。" });
        var before = (await ListAsync(bob)).Count;

        async Task RefusedAsync(AgentSession agent, object body, string reason)
        {
            var response = await agent.Http.PostAsJsonAsync("/api/canned-replies", body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains(reason, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        await RefusedAsync(bob, new { shortcut = "", title = "t", text = "x" }, "shortcut is required");
        await RefusedAsync(bob, new { shortcut = new string('a', 21), title = "t", text = "x" }, "at most 20");
        await RefusedAsync(bob, new { shortcut = "t y", title = "t", text = "x" }, "letters and digits only");
        await RefusedAsync(bob, new { shortcut = "a1", title = " ", text = "x" }, "title is required");
        await RefusedAsync(bob, new { shortcut = "a1", title = new string('t', 101), text = "x" }, "the limit is 100");
        await RefusedAsync(bob, new { shortcut = "a1", title = "t", text = "  " }, "text is required");
        await RefusedAsync(bob, new { shortcut = "a1", title = "t", text = new string('x', 2001) }, "the limit is 2000");
        await RefusedAsync(bob, new { shortcut = "a1", title = "t", text = "您好{nmae}" }, "{nmae}, which is not a variable");
        await RefusedAsync(bob, new { shortcut = "TY", title = "t", text = "x" }, "shortcut 'ty' is already used by another of your replies");
        await RefusedAsync(bob, new { shortcut = "a1", title = "t", text = "x", skill = "logistics" }, "skill is for shared replies");
        await RefusedAsync(alice, new { shortcut = "nh", title = "t", text = "x", shared = true }, "shortcut 'nh' is already used by another of the shared replies");
        await RefusedAsync(alice, new { shortcut = "a1", title = "t", text = "x", shared = true, skill = "gardening" }, "unknown skill 'gardening'");
        var notJson = await bob.Http.PostAsync("/api/canned-replies", new StringContent("shortcut=a1", Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);

        // A change to a duplicate is refused the same way, and the reply stays as it was.
        var other = await CreateAsync(bob, new { shortcut = "yf", title = "运费", text = "运费我们出。" });
        var id = other.GetProperty("id").GetString();
        var duplicate = await bob.Http.PutAsJsonAsync($"/api/canned-replies/{id}", new { shortcut = "ty", title = "运费", text = "改了" });
        Assert.Equal(HttpStatusCode.BadRequest, duplicate.StatusCode);
        Assert.Equal("运费我们出。", Find(await ListAsync(bob), "yf").GetProperty("text").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.PutAsJsonAsync($"/api/canned-replies/{Guid.NewGuid()}", new { shortcut = "zz", title = "t", text = "x" })).StatusCode);
        Assert.Equal(before + 1, (await ListAsync(bob)).Count);

        // The same shortcut in another scope is fine: bob's own "nh" next to the shared one.
        await CreateAsync(bob, new { shortcut = "nh", title = "我的问候", text = "{name}您好，我是{agent}～" });
        Assert.Equal(2, (await ListAsync(bob)).Count(r => r.GetProperty("shortcut").GetString() == "nh"));
    }

    [Fact]
    public async Task DeletedStarterReply_StaysDeleted_AfterARestart()
    {
        var data = Directory.CreateTempSubdirectory("cg-test-").FullName;
        await using (var host = await GatewayHost.StartAsync(dataDirectory: data))
        {
            await using var alice = await host.SignInAsync("alice", online: false);
            var greeting = Find(await ListAsync(alice), "nh").GetProperty("id").GetString();
            Assert.Equal(HttpStatusCode.NoContent, (await alice.Http.DeleteAsync($"/api/canned-replies/{greeting}")).StatusCode);
        }

        await using (var host = await GatewayHost.StartAsync(dataDirectory: data))
        {
            await using var alice = await host.SignInAsync("alice", online: false);
            var replies = await ListAsync(alice);
            Assert.DoesNotContain(replies, r => r.GetProperty("shortcut").GetString() == "nh");
            Assert.Single(replies, r => r.GetProperty("shortcut").GetString() == "hello");
        }
    }

    private static async Task<JsonElement> CreateAsync(AgentSession agent, object body)
    {
        var response = await agent.Http.PostAsJsonAsync("/api/canned-replies", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static async Task<List<JsonElement>> ListAsync(AgentSession agent, Guid? conversation = null) =>
        (await agent.Http.GetFromJsonAsync<List<JsonElement>>(conversation is { } id ? $"/api/canned-replies?conversationId={id}" : "/api/canned-replies"))!;

    private static JsonElement Find(IEnumerable<JsonElement> replies, string shortcut) =>
        replies.First(r => r.GetProperty("shortcut").GetString() == shortcut);
}
