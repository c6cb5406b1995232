using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Tests.Routing;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Identity;

/// <summary>A supervisor merges two contacts by hand after checking they are one person, and undoes a wrong merge.</summary>
public sealed class ContactMergeTests
{
    private const string Phone = "+15552220042";

    [Fact]
    public async Task Supervisor_MergesAVisitorIntoTheCustomer_HistoryShowsBoth_AndUndoMovesExactlyThatBack()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var alice = await host.SignInAsync("alice");
        using var http = host.CreateClient();

        // A customer known by phone (the probe channel proves its sender's phone), and a web visitor who typed it.
        await RoutingTests.Inbound(http, "p-1", Phone, "question by phone", phone: Phone);
        var customers = await alice.NextAssignedAsync();
        await using var visitor = await Visitor.ArriveAsync(host, connect: false);
        var visitorConversation = (await visitor.SendOkAsync("question on the website", phone: "+1 555 222 0042")).GetProperty("conversationId").GetGuid();
        await alice.NextAssignedAsync();

        // Found by the typed phone as well as the verified one.
        var found = await alice.Http.GetFromJsonAsync<JsonElement>($"/api/contacts?q={Uri.EscapeDataString(Phone)}");
        Assert.Equal(2, found.GetArrayLength());
        var customerId = customers.Contact.Id;
        var visitorId = found.EnumerateArray().Select(c => c.GetProperty("id").GetGuid()).Single(id => id != customerId);

        using var merged = await alice.Http.PostAsJsonAsync($"/api/contacts/{visitorId}/merge", new { into = customerId });
        Assert.Equal(HttpStatusCode.OK, merged.StatusCode);
        var merge = await merged.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, merge.GetProperty("conversations").GetInt32());
        Assert.Equal(1, merge.GetProperty("identities").GetInt32());

        // The agent's history of the customer now holds both.
        Assert.Equal(["question by phone", "question on the website"], await HistoryAsync(alice, customers.Id));

        // The visitor's next message is filed under the customer at once: the writer does not keep using
        // the contact it had cached for that visitor.
        var after = (await visitor.SendOkAsync("one more thing")).GetProperty("conversationId").GetGuid();
        await using (var db = host.CreateDbContext())
        {
            Assert.Equal(customerId, (await db.Conversations.SingleAsync(c => c.Id == after)).ContactId);
            Assert.Equal(customerId, (await db.Contacts.SingleAsync(c => c.Id == visitorId)).MergedIntoId);
        }

        // The supervisor sees it in the customer's merges and undoes it.
        var contact = await alice.Http.GetFromJsonAsync<JsonElement>($"/api/contacts/{customerId}");
        var mergeId = contact.GetProperty("merges")[0].GetProperty("id").GetGuid();
        using var undone = await alice.Http.PostAsync($"/api/contact-merges/{mergeId}/undo", null);
        Assert.Equal(HttpStatusCode.OK, undone.StatusCode);

        await using (var db = host.CreateDbContext())
        {
            Assert.Equal(visitorId, (await db.Conversations.SingleAsync(c => c.Id == visitorConversation)).ContactId);
            Assert.Equal(customerId, (await db.Conversations.SingleAsync(c => c.Id == customers.Id)).ContactId);
            Assert.Equal(visitorId, (await db.ChannelIdentities.SingleAsync(i => i.InstanceId == "webchat")).ContactId);
            var visitorContact = await db.Contacts.SingleAsync(c => c.Id == visitorId);
            Assert.Null(visitorContact.MergedIntoId);
            Assert.Null((await db.Contacts.SingleAsync(c => c.Id == customerId)).DeclaredPhone); // filled by the merge, emptied by undo
            Assert.NotNull((await db.ContactMerges.SingleAsync()).UndoneAt);
        }

        Assert.Equal(["question by phone"], await HistoryAsync(alice, customers.Id));
        var visitorsNext = (await visitor.SendOkAsync("and again")).GetProperty("conversationId").GetGuid();
        Assert.Equal(visitorConversation, visitorsNext);

        using var twice = await alice.Http.PostAsync($"/api/contact-merges/{mergeId}/undo", null);
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
    }

    [Fact]
    public async Task CustomerWithAVerifiedPhone_MergedIntoAVisitor_TheVisitorTakesThePhone_AndUndoGivesItBack()
    {
        // The kept contact takes the verified phone of the one merged away: one contact per phone holds at every step
        // (a unique constraint on both engines), and the customer's next message by phone follows the phone.
        await using var host = await GatewayHost.StartAsync();
        await using var alice = await host.SignInAsync("alice");
        using var http = host.CreateClient();
        const string phone = "+15552220077";
        await RoutingTests.Inbound(http, "v-1", phone, "question by phone", phone: phone);
        var customerId = (await alice.NextAssignedAsync()).Contact.Id;
        await using var visitor = await Visitor.ArriveAsync(host, connect: false);
        var visitorConversation = (await visitor.SendOkAsync("question on the website")).GetProperty("conversationId").GetGuid();
        var visitorId = (await alice.NextAssignedAsync()).Contact.Id;

        using var merged = await alice.Http.PostAsJsonAsync($"/api/contacts/{customerId}/merge", new { into = visitorId });
        Assert.Equal(HttpStatusCode.OK, merged.StatusCode);
        var mergeId = (await merged.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await using (var db = host.CreateDbContext())
        {
            Assert.Equal(phone, (await db.Contacts.SingleAsync(c => c.Id == visitorId)).Phone);
        }

        var next = await RoutingTests.Inbound(http, "v-2", phone, "me again", phone: phone);
        await using (var db = host.CreateDbContext())
        {
            var conversation = await db.Conversations.SingleAsync(c => c.Id == next.GetProperty("conversationId").GetGuid());
            Assert.Equal(visitorId, conversation.ContactId);
        }

        using var undone = await alice.Http.PostAsync($"/api/contact-merges/{mergeId}/undo", null);
        Assert.Equal(HttpStatusCode.OK, undone.StatusCode);
        await using (var db = host.CreateDbContext())
        {
            Assert.Null((await db.Contacts.SingleAsync(c => c.Id == visitorId)).Phone);
            var customer = await db.Contacts.SingleAsync(c => c.Id == customerId);
            Assert.Equal(phone, customer.Phone);
            Assert.Null(customer.MergedIntoId);
            Assert.Equal(1, await db.Contacts.CountAsync(c => c.Phone == phone && c.MergedIntoId == null));
        }

        Assert.NotEqual(Guid.Empty, visitorConversation);
    }

    [Fact]
    public async Task Agent_CannotFindMergeOrUndo_Gets403()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var bob = await host.SignInAsync("bob");

        using var search = await bob.Http.GetAsync("/api/contacts?q=+1555");
        using var merge = await bob.Http.PostAsJsonAsync($"/api/contacts/{Guid.NewGuid()}/merge", new { into = Guid.NewGuid() });
        using var undo = await bob.Http.PostAsync($"/api/contact-merges/{Guid.NewGuid()}/undo", null);

        Assert.Equal(HttpStatusCode.Forbidden, search.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, merge.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, undo.StatusCode);
    }

    // Bad inputs tried: merging a contact into itself, into or from an unknown contact, no body, a body that
    // is not JSON, a contact merged away already, a search of one character, an unknown merge to undo.
    [Fact]
    public async Task Merge_BadRequests_AreRefusedWithReasons_AndChangeNothing()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var alice = await host.SignInAsync("alice");
        using var http = host.CreateClient();
        await RoutingTests.Inbound(http, "b-1", "+15552220050", "first", phone: "+15552220050");
        await RoutingTests.Inbound(http, "b-2", "+15552220051", "second", phone: "+15552220051");
        await RoutingTests.Inbound(http, "b-3", "+15552220052", "third", phone: "+15552220052");
        Guid[] ids;
        await using (var db = host.CreateDbContext())
        {
            ids = await db.Contacts.OrderBy(c => c.Phone).Select(c => c.Id).ToArrayAsync();
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await alice.Http.PostAsJsonAsync($"/api/contacts/{ids[0]}/merge", new { into = ids[0] })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.Http.PostAsJsonAsync($"/api/contacts/{ids[0]}/merge", new { into = Guid.NewGuid() })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.Http.PostAsJsonAsync($"/api/contacts/{Guid.NewGuid()}/merge", new { into = ids[0] })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.Http.PostAsync($"/api/contacts/{ids[0]}/merge", null)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.Http.PostAsync($"/api/contacts/{ids[0]}/merge",
            new StringContent("{ into:", System.Text.Encoding.UTF8, "application/json"))).StatusCode);
        var tooShort = await alice.Http.GetAsync("/api/contacts?q=1");
        Assert.Equal(HttpStatusCode.BadRequest, tooShort.StatusCode);
        Assert.Contains("at least 2 characters", (await tooShort.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.Http.PostAsync($"/api/contact-merges/{Guid.NewGuid()}/undo", null)).StatusCode);
        await using (var db = host.CreateDbContext())
        {
            Assert.Equal(0, await db.ContactMerges.CountAsync());
            Assert.All(await db.Contacts.ToListAsync(), c => Assert.Null(c.MergedIntoId));
        }

        Assert.Equal(HttpStatusCode.OK, (await alice.Http.PostAsJsonAsync($"/api/contacts/{ids[0]}/merge", new { into = ids[1] })).StatusCode);
        var again = await alice.Http.PostAsJsonAsync($"/api/contacts/{ids[0]}/merge", new { into = ids[2] });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("merged", (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    private static async Task<List<string>> HistoryAsync(AgentSession agent, Guid conversationId)
    {
        var detail = await agent.Http.GetFromJsonAsync<JsonElement>($"/api/conversations/{conversationId}");
        return detail.GetProperty("messages").EnumerateArray()
            .Where(m => m.GetProperty("direction").GetString() == "in")
            .Select(m => m.GetProperty("text").GetString()!).ToList();
    }
}
