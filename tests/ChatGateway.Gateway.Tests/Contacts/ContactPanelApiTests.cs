using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ChatGateway.Gateway.Contacts;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ChatGateway.Gateway.Tests.Contacts;

/// <summary>
/// The contact panel's API through the real host: labels, groups (分组), notes (备注), past conversations and what the web
/// visitor looked at. Bad inputs tried: labels empty, blank, 33 characters, with a tab, a body that is not JSON, a 21st
/// label, removing one the contact lacks (404); a group created by an agent (403), a duplicate group name (409), a 33
/// character name, an unknown colour, an unknown group id among those set on a contact (400, nothing changed); notes empty,
/// blank, 2001 characters, deleted by another agent (403); a past-conversation limit of 0 and 51 and a before without an
/// offset; an unknown contact (404), a contact the agent never served (404), no sign-in (401).
/// </summary>
public sealed class ContactPanelApiTests
{
    [Fact]
    public async Task Labels_AreAddedAndRemoved_TheSameLabelInAnotherCaseOnce_AndBadLabelsChangeNothing()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var bob = await host.SignInAsync("bob");
        await using var visitor = await Visitor.ArriveAsync(host, connect: false);
        await visitor.SendOkAsync("在吗");
        var contact = (await bob.NextAssignedAsync()).Contact.Id;
        var labels = $"/api/contacts/{contact}/labels";

        Assert.Equal(["爱砍价"], await AddLabelAsync(bob, labels, "  爱砍价 "));
        Assert.Equal(["爱砍价", "Gift-Wrap"], await AddLabelAsync(bob, labels, "Gift-Wrap"));
        Assert.Equal(["爱砍价", "Gift-Wrap"], await AddLabelAsync(bob, labels, "gift-WRAP"));

        foreach (var bad in new[] { "", "   ", new string('x', 33), "a\tb" })
        {
            using var refused = await bob.Http.PostAsJsonAsync(labels, new { label = bad });
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.NotEmpty((await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString()!);
        }

        using (var notJson = await bob.Http.PostAsync(labels, new StringContent("label=x", Encoding.UTF8, "text/plain")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        }

        Assert.Equal(new string('x', 32), (await AddLabelAsync(bob, labels, new string('x', 32)))[^1]);
        for (var i = 3; i < ContactPanelRules.MaxLabels; i++)
        {
            await AddLabelAsync(bob, labels, $"label {i}");
        }

        using (var twentyFirst = await bob.Http.PostAsJsonAsync(labels, new { label = "one too many" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, twentyFirst.StatusCode);
        }

        Assert.Equal(20, (await ListAsync(bob, labels)).Count);
        // A label already there is no 21st.
        Assert.Equal(20, (await AddLabelAsync(bob, labels, "爱砍价")).Count);

        using (var removed = await bob.Http.DeleteAsync($"{labels}/{Uri.EscapeDataString("GIFT-wrap")}"))
        {
            Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        }

        Assert.DoesNotContain("Gift-Wrap", await ListAsync(bob, labels));
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.DeleteAsync($"{labels}/{Uri.EscapeDataString("never there")}")).StatusCode);

        // Carol never served this customer; nobody has an unknown contact; no sign-in, no answer.
        await using var carol = await host.SignInAsync("carol");
        Assert.Equal(HttpStatusCode.NotFound, (await carol.Http.GetAsync(labels)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await carol.Http.PostAsJsonAsync(labels, new { label = "sneaky" })).StatusCode);
        await using var alice = await host.SignInAsync("alice", online: false);
        Assert.Equal(19, (await ListAsync(alice, labels)).Count);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.Http.GetAsync($"/api/contacts/{Guid.NewGuid()}/labels")).StatusCode);
        using var anonymous = host.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(labels)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/contact-groups")).StatusCode);

        var paths = (await bob.Http.GetFromJsonAsync<JsonElement>("/openapi/v1.json")).GetProperty("paths");
        foreach (var path in new[]
        {
            "/api/contacts/{id}/labels", "/api/contacts/{id}/labels/{label}", "/api/contacts/{id}/groups", "/api/contacts/{id}/notes",
            "/api/contacts/{id}/notes/{noteId}", "/api/contacts/{id}/conversations", "/api/contacts/{id}/looking-at", "/api/contact-groups",
            "/api/contact-groups/{groupId}",
        })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} missing from the OpenAPI document");
        }
    }

    [Fact]
    public async Task Groups_StarterSetOnce_SupervisorsKeepTheList_AgentsSetAContactsGroups_UnknownIdChangesNothing()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var alice = await host.SignInAsync("alice", online: false);
        await using var bob = await host.SignInAsync("bob");
        await using var visitor = await Visitor.ArriveAsync(host, connect: false);
        await visitor.SendOkAsync("我要退款");
        var contact = (await bob.NextAssignedAsync()).Contact.Id;

        var starter = await GroupsAsync(bob);
        Assert.Equal(["已付款未发货", "退款中", "老客户", "黑名单"], starter.Select(g => g.GetProperty("name").GetString()));
        Assert.Contains("Refund", starter[1].GetProperty("description").GetString(), StringComparison.Ordinal);
        var refund = starter[1].GetProperty("id").GetGuid();
        var loyal = starter[2].GetProperty("id").GetGuid();

        // Agents set a contact's groups; only supervisors change the list.
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.Http.PostAsJsonAsync("/api/contact-groups", new { name = "催发货" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.Http.DeleteAsync($"/api/contact-groups/{refund}")).StatusCode);
        using (var created = await alice.Http.PostAsJsonAsync("/api/contact-groups", new { name = "催发货", color = "Blue" }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal("blue", (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("color").GetString());
        }

        Assert.Equal(HttpStatusCode.Conflict, (await alice.Http.PostAsJsonAsync("/api/contact-groups", new { name = " 退款中 " })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.Http.PostAsJsonAsync("/api/contact-groups", new { name = new string('组', 33) })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.Http.PostAsJsonAsync("/api/contact-groups", new { name = "粉色", color = "pink" })).StatusCode);
        Assert.Equal(5, (await GroupsAsync(bob)).Count);

        var contactGroups = $"/api/contacts/{contact}/groups";
        using (var set = await bob.Http.PutAsJsonAsync(contactGroups, new { groupIds = new[] { refund, loyal } }))
        {
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        }

        var unknown = Guid.NewGuid();
        using (var refused = await bob.Http.PutAsJsonAsync(contactGroups, new { groupIds = new[] { refund, unknown } }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains(unknown.ToString(), (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(["退款中", "老客户"], (await bob.Http.GetFromJsonAsync<List<JsonElement>>(contactGroups))!.Select(g => g.GetProperty("name").GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, (await bob.Http.PutAsJsonAsync(contactGroups, new { groupIds = "退款中" })).StatusCode);
        Assert.Equal(1, (await GroupsAsync(bob))[1].GetProperty("contacts").GetInt32());

        // A deleted group leaves its contacts, and stays deleted when the gateway starts again.
        Assert.Equal(HttpStatusCode.NoContent, (await alice.Http.DeleteAsync($"/api/contact-groups/{refund}")).StatusCode);
        Assert.Equal(["老客户"], (await bob.Http.GetFromJsonAsync<List<JsonElement>>(contactGroups))!.Select(g => g.GetProperty("name").GetString()));
        var seeder = host.Services.GetServices<IHostedService>().OfType<ContactGroupSeeder>().Single();
        await seeder.StartAsync(CancellationToken.None);
        Assert.DoesNotContain("退款中", (await GroupsAsync(bob)).Select(g => g.GetProperty("name").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await alice.Http.DeleteAsync($"/api/contact-groups/{refund}")).StatusCode);

        // Renamed by a supervisor; a name another group has is refused.
        using (var renamed = await alice.Http.PutAsJsonAsync($"/api/contact-groups/{loyal}", new { name = "老客户 VIP", color = "green" }))
        {
            Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        }

        using (var taken = await alice.Http.PutAsJsonAsync($"/api/contact-groups/{loyal}", new { name = " 黑名单 " }))
        {
            Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
            Assert.Equal("a group named '黑名单' exists already", await ErrorAsync(taken));
        }

        // Bad names tried: empty, blanks only, 33 characters, a tab inside, and bob (no supervisor) renaming; each names its
        // reason and the group keeps its name.
        foreach (var (bad, reason) in new[] { ("", "name is required"), ("   ", "name is required"), (new string('名', 33), "the limit is 32") })
        {
            using var refused = await alice.Http.PutAsJsonAsync($"/api/contact-groups/{loyal}", new { name = bad });
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains(reason, await ErrorAsync(refused));
        }

        using (var tabbed = await alice.Http.PutAsJsonAsync($"/api/contact-groups/{loyal}", new { name = "老\t客户" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, tabbed.StatusCode);
            Assert.Contains("control characters", await ErrorAsync(tabbed));
        }

        Assert.Equal(HttpStatusCode.Forbidden, (await bob.Http.PutAsJsonAsync($"/api/contact-groups/{loyal}", new { name = "bob's" })).StatusCode);
        Assert.Equal("老客户 VIP", (await GroupsAsync(alice)).Single(g => g.GetProperty("id").GetGuid() == loyal).GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.PutAsJsonAsync($"/api/contacts/{Guid.NewGuid()}/groups", new { groupIds = new[] { loyal } })).StatusCode);
    }

    [Fact]
    public async Task Notes_KeptAcrossConversations_NewestFirst_OnlyTheirAuthorOrASupervisorDeletes_AndPastConversationsListed()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var alice = await host.SignInAsync("alice", online: false);
        await using var bob = await host.SignInAsync("bob");
        await using var visitor = await Visitor.ArriveAsync(host, connect: false);
        await visitor.SendOkAsync("你好，围巾还有吗");
        var first = await bob.NextAssignedAsync();
        var contact = first.Contact.Id;
        var notes = $"/api/contacts/{contact}/notes";

        foreach (var bad in new[] { "", " \n ", new string('备', 2001) })
        {
            using var refused = await bob.Http.PostAsJsonAsync(notes, new { text = bad });
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        using var bobs = await bob.Http.PostAsJsonAsync(notes, new { text = "客户要求顺丰，不要中通" });
        Assert.Equal(HttpStatusCode.Created, bobs.StatusCode);
        var bobsNote = (await bobs.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.Created, (await bob.Http.PostAsJsonAsync(notes, new { text = new string('备', 2000) })).StatusCode);
        using var alices = await alice.Http.PostAsJsonAsync(notes, new { text = "老客户，回访时先问候" });
        var alicesNote = (await alices.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        // Bob closes; the customer comes back in a new conversation: the notes are still about them.
        await bob.ReplyAsync(first.Id, "亲，有的");
        await bob.CloseAsync(first.Id);
        await visitor.SendOkAsync("在吗");
        var second = await bob.NextAssignedAsync();
        Assert.NotEqual(first.Id, second.Id);
        var list = (await bob.Http.GetFromJsonAsync<List<JsonElement>>(notes))!;
        Assert.Equal(["老客户，回访时先问候", new string('备', 2000), "客户要求顺丰，不要中通"], list.Select(n => n.GetProperty("text").GetString()));
        Assert.Equal("Alice", list[0].GetProperty("agentName").GetString());
        Assert.Equal("Bob", list[2].GetProperty("agentName").GetString());

        Assert.Equal(HttpStatusCode.Forbidden, (await bob.Http.DeleteAsync($"{notes}/{alicesNote}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await alice.Http.DeleteAsync($"{notes}/{bobsNote}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.Http.DeleteAsync($"{notes}/{bobsNote}")).StatusCode);
        Assert.Equal(2, (await bob.Http.GetFromJsonAsync<List<JsonElement>>(notes))!.Count);

        // The customer rated the first conversation (as the survey records it): the history shows outcome and rating.
        await using (var db = host.CreateDbContext())
        {
            await db.Conversations.Where(c => c.Id == first.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.SurveyRating, 5));
        }

        var past = (await bob.Http.GetFromJsonAsync<List<JsonElement>>($"/api/contacts/{contact}/conversations"))!;
        Assert.Equal([second.Id, first.Id], past.Select(c => c.GetProperty("id").GetGuid()));
        Assert.Equal("assigned", past[0].GetProperty("status").GetString());
        Assert.Equal("在吗", past[0].GetProperty("lastMessage").GetString());
        Assert.Equal("closed", past[1].GetProperty("status").GetString());
        Assert.Equal(5, past[1].GetProperty("surveyRating").GetInt32());
        Assert.Equal("Bob", past[1].GetProperty("agentName").GetString());
        Assert.Equal("亲，有的", past[1].GetProperty("lastMessage").GetString());
        Assert.Equal("webchat", past[1].GetProperty("channelType").GetString());
        Assert.Single((await bob.Http.GetFromJsonAsync<List<JsonElement>>($"/api/contacts/{contact}/conversations?limit=1"))!);
        var older = (await bob.Http.GetFromJsonAsync<List<JsonElement>>(
            $"/api/contacts/{contact}/conversations?before={Uri.EscapeDataString(past[0].GetProperty("createdAt").GetString()!)}"))!;
        Assert.Equal([first.Id], older.Select(c => c.GetProperty("id").GetGuid()));
        foreach (var bad in new[] { "?limit=0", "?limit=51", "?before=2026-12-07T10:00:00" })
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await bob.Http.GetAsync($"/api/contacts/{contact}/conversations{bad}")).StatusCode);
        }
    }

    [Fact]
    public async Task WidgetContext_ShowsWhatTheVisitorLooksAt_AndAMergedContactsLabelsGroupsNotesShowOnTheKeptOne_UntilUndone()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var alice = await host.SignInAsync("alice", online: false);
        await using var bob = await host.SignInAsync("bob");

        await using var first = await Visitor.ArriveAsync(host, connect: false);
        await SendWithContextAsync(first, "这个有货吗", new { page = new { url = "https://shop.example.com/p/42", title = "羊毛围巾 - 演示小店" } });
        await SendWithContextAsync(first, "什么颜色", new { product = new { id = "sku-42", name = "羊毛围巾", url = "https://shop.example.com/p/42", price = 199, currency = "CNY" } });
        await SendWithContextAsync(first, "加购了", new { cart = new { items = new[] { new { id = "sku-42", name = "羊毛围巾", quantity = 2, price = 99 }, new { id = "sku-7", name = "手套", quantity = 1, price = 99 } }, total = 297, currency = "CNY" } });
        var kept = (await bob.NextAssignedAsync()).Contact.Id;
        var at = await bob.Http.GetFromJsonAsync<JsonElement>($"/api/contacts/{kept}/looking-at");
        Assert.Equal("羊毛围巾 - 演示小店", at.GetProperty("page").GetProperty("title").GetString());
        Assert.Equal("https://shop.example.com/p/42", at.GetProperty("page").GetProperty("url").GetString());
        Assert.Equal("sku-42", at.GetProperty("product").GetProperty("reference").GetString());
        Assert.Equal("羊毛围巾 · ¥199.00", at.GetProperty("product").GetProperty("title").GetString());
        Assert.Equal("3 items · ¥297.00", at.GetProperty("cart").GetProperty("title").GetString());

        await using var second = await Visitor.ArriveAsync(host, connect: false);
        await second.SendOkAsync("我换了个浏览器");
        var other = (await bob.NextAssignedAsync()).Contact.Id;
        Assert.Equal(HttpStatusCode.OK, (await bob.Http.PostAsJsonAsync($"/api/contacts/{other}/labels", new { label = "换设备" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await bob.Http.PostAsJsonAsync($"/api/contacts/{other}/notes", new { text = "同一个人，电话确认过" })).StatusCode);
        var blacklist = (await GroupsAsync(bob)).Single(g => g.GetProperty("name").GetString() == "黑名单").GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.OK, (await bob.Http.PutAsJsonAsync($"/api/contacts/{other}/groups", new { groupIds = new[] { blacklist } })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await bob.Http.PostAsJsonAsync($"/api/contacts/{kept}/labels", new { label = "爱砍价" })).StatusCode);

        using var merged = await alice.Http.PostAsJsonAsync($"/api/contacts/{other}/merge", new { into = kept });
        Assert.Equal(HttpStatusCode.OK, merged.StatusCode);
        var merge = (await merged.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        Assert.Equal(["换设备", "爱砍价"], await ListAsync(bob, $"/api/contacts/{kept}/labels"));
        Assert.Equal(["同一个人，电话确认过"], (await bob.Http.GetFromJsonAsync<List<JsonElement>>($"/api/contacts/{kept}/notes"))!.Select(n => n.GetProperty("text").GetString()));
        Assert.Equal(["黑名单"], (await bob.Http.GetFromJsonAsync<List<JsonElement>>($"/api/contacts/{kept}/groups"))!.Select(g => g.GetProperty("name").GetString()));
        Assert.Equal(2, (await bob.Http.GetFromJsonAsync<List<JsonElement>>($"/api/contacts/{kept}/conversations"))!.Count);
        // The contact merged away is no longer one to show.
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.GetAsync($"/api/contacts/{other}/labels")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await alice.Http.PostAsync($"/api/contact-merges/{merge}/undo", null)).StatusCode);
        Assert.Equal(["爱砍价"], await ListAsync(bob, $"/api/contacts/{kept}/labels"));
        Assert.Empty((await bob.Http.GetFromJsonAsync<List<JsonElement>>($"/api/contacts/{kept}/notes"))!);
        Assert.Equal(["换设备"], await ListAsync(bob, $"/api/contacts/{other}/labels"));
        Assert.Equal(["黑名单"], (await bob.Http.GetFromJsonAsync<List<JsonElement>>($"/api/contacts/{other}/groups"))!.Select(g => g.GetProperty("name").GetString()));
    }

    private static async Task SendWithContextAsync(Visitor visitor, string text, object context)
    {
        using var response = await visitor.Http.PostAsJsonAsync($"/channels/{visitor.InstanceId}/messages", new { clientMessageId = Guid.NewGuid().ToString(), text, context });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private static async Task<List<string>> AddLabelAsync(AgentSession agent, string url, string label)
    {
        using var response = await agent.Http.PostAsJsonAsync(url, new { label });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await response.Content.ReadFromJsonAsync<List<JsonElement>>())!.Select(l => l.GetProperty("label").GetString()!)];
    }

    private static async Task<List<string>> ListAsync(AgentSession agent, string url) =>
        [.. (await agent.Http.GetFromJsonAsync<List<JsonElement>>(url))!.Select(l => l.GetProperty("label").GetString()!)];

    private static async Task<string?> ErrorAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString();

    private static async Task<List<JsonElement>> GroupsAsync(AgentSession agent) =>
        (await agent.Http.GetFromJsonAsync<List<JsonElement>>("/api/contact-groups"))!;
}
