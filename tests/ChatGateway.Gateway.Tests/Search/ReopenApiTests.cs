using System.Net;
using System.Net.Http.Json;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Tests.Security;
using ChatGateway.Gateway.Web;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Gateway.Tests.Search;

/// <summary>The Closed list (GET /api/conversations/closed) and reopening (POST /api/conversations/{id}/reopen).</summary>
public sealed class ReopenApiTests
{
    [Fact]
    public async Task ClosedList_NewestClosedFirst_PagedWithBefore_OwnByDefault_EveryoneForSupervisorsOrWithScopeAll()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var bob = await host.SignInAsync("bob");
        using var http = host.CreateClient();

        var closed = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            var id = await SearchApiTests.ArriveAsync(http, $"c{i}", $"+1000000010{i}", $"question {i} about the teapot");
            Assert.Equal(id, (await bob.NextAssignedAsync()).Id);
            await bob.CloseAsync(id);
            closed.Add(id);
        }

        closed.Reverse();
        var first = await bob.Http.GetFromJsonAsync<ClosedConversationsDto>("/api/conversations/closed?limit=2");
        Assert.Equal(closed[..2], first!.Items.Select(c => c.Id));
        Assert.All(first.Items, c => Assert.Equal("Bob", c.ClosedByAgentName));
        Assert.NotNull(first.NextBefore);
        var second = await bob.Http.GetFromJsonAsync<ClosedConversationsDto>($"/api/conversations/closed?limit=2&before={first.NextBefore}");
        Assert.Equal(closed[2..4], second!.Items.Select(c => c.Id));
        var last = await bob.Http.GetFromJsonAsync<ClosedConversationsDto>($"/api/conversations/closed?limit=2&before={second.NextBefore}");
        Assert.Equal(closed[4..], last!.Items.Select(c => c.Id));
        Assert.Null(last.NextBefore);

        // carol closed none of them: her own list is empty, everyone's has bob's; alice (a supervisor) sees everyone's.
        using var carol = await SecurityClient.SignInAsync(host, "carol");
        Assert.Empty((await carol.Http.GetFromJsonAsync<ClosedConversationsDto>("/api/conversations/closed"))!.Items);
        Assert.Equal(5, (await carol.Http.GetFromJsonAsync<ClosedConversationsDto>("/api/conversations/closed?scope=all"))!.Items.Count);
        using var alice = await SecurityClient.SignInAsync(host, "alice");
        Assert.Equal(5, (await alice.Http.GetFromJsonAsync<ClosedConversationsDto>("/api/conversations/closed"))!.Items.Count);

        // Bad paging input: 400 with the reason.
        foreach (var bad in new[] { "before=yesterday", "before=12_nothex", "limit=0", "limit=101", "scope=others" })
        {
            var response = await bob.Http.GetAsync("/api/conversations/closed?" + bad);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.False(string.IsNullOrEmpty((await response.Content.ReadFromJsonAsync<ErrorDto>())!.Error));
        }

        // The default list of open conversations is unchanged by all this.
        Assert.Empty(await bob.ListAsync());
    }

    [Fact]
    public async Task Reopen_ClosedConversation_IsTheReopenersAgain_CountsInTheirLoad_AndTheCustomersNextMessageLandsInIt()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var bob = await host.SignInAsync("bob");
        using var http = host.CreateClient();
        var id = await SearchApiTests.ArriveAsync(http, "r1", "+10000000201", "hi, about the teapot");
        await bob.NextAssignedAsync();
        await bob.CloseAsync(id);

        // alice (pre-sale too) reopens bob's closed conversation: it is hers, live on her desk, in her load.
        await using var alice = await host.SignInAsync("alice");
        var read = await alice.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{id}");
        Assert.Equal("closed", read!.Status);
        var response = await alice.Http.PostAsync($"/api/conversations/{id}/reopen", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reopened = (await response.Content.ReadFromJsonAsync<ConversationDto>())!;
        Assert.Equal("assigned", reopened.Status);
        Assert.Equal(alice.Agent.Id, reopened.AssignedAgentId);
        Assert.Equal(id, (await alice.NextAssignedAsync()).Id);
        Assert.Equal([id], (await alice.ListAsync()).Select(c => c.Id));
        Assert.Equal(1, (await alice.Http.GetFromJsonAsync<AgentDto>("/api/agents/me"))!.Load);
        Assert.Equal(alice.Agent.Id, await host.Services.GetRequiredService<RedisRoutingStore>().GetAssignedAgentAsync(id));
        Assert.Contains((await alice.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{id}"))!.Messages!, m => m.Direction == "note" && m.Text == "Alice reopened this conversation.");

        // The customer writes again: it lands in the reopened conversation, on alice's desk.
        var next = await SearchApiTests.ArriveAsync(http, "r2", "+10000000201", "one more thing");
        Assert.Equal(id, next);
        var (conversationId, message) = await alice.NextMessageAsync(m => m.Text == "one more thing");
        Assert.Equal(id, conversationId);

        // Reopening it again: it is not closed (409), and nothing changes.
        var again = await bob.Http.PostAsync($"/api/conversations/{id}/reopen", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("not closed", (await again.Content.ReadFromJsonAsync<ErrorDto>())!.Error);
        Assert.Equal([id], (await alice.ListAsync()).Select(c => c.Id));

        // Closing it again frees alice's load.
        await alice.CloseAsync(id);
        Assert.Equal(0, (await alice.Http.GetFromJsonAsync<AgentDto>("/api/agents/me"))!.Load);
    }

    [Fact]
    public async Task Reopen_WhileTheCustomerHasAnotherOpenConversation_Is409NamingIt_UnknownIs404_WithoutSignIn401()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var bob = await host.SignInAsync("bob");
        using var http = host.CreateClient();
        var old = await SearchApiTests.ArriveAsync(http, "o1", "+10000000301", "hi, about the teapot");
        await bob.NextAssignedAsync();
        await bob.CloseAsync(old);
        var current = await SearchApiTests.ArriveAsync(http, "o2", "+10000000301", "hello again, a new question");
        Assert.NotEqual(old, current);
        await bob.NextAssignedAsync();

        var refused = await bob.Http.PostAsync($"/api/conversations/{old}/reopen", null);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var reason = (await refused.Content.ReadFromJsonAsync<ErrorDto>())!.Error;
        Assert.Contains(current.ToString(), reason);
        Assert.Contains("with Bob", reason);
        Assert.Equal("closed", (await bob.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{old}"))!.Status);
        Assert.Equal([current], (await bob.ListAsync()).Select(c => c.Id));

        var unknown = await bob.Http.PostAsync($"/api/conversations/{Guid.NewGuid()}/reopen", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        using var anonymous = host.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync($"/api/conversations/{old}/reopen", null)).StatusCode);
        Assert.Equal("closed", (await bob.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{old}"))!.Status);
    }

    [Fact]
    public async Task Reopen_WhileTheCustomerWritesAtTheSameMoment_NeverLeavesTwoOpenConversations()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var bob = await host.SignInAsync("bob");
        using var http = host.CreateClient();
        for (var round = 0; round < 5; round++)
        {
            var phone = $"+1000000040{round}";
            var old = await SearchApiTests.ArriveAsync(http, $"x{round}a", phone, "hi, about the teapot");
            await bob.NextAssignedAsync();
            await bob.CloseAsync(old);

            var reopen = bob.Http.PostAsync($"/api/conversations/{old}/reopen", null);
            var writes = SearchApiTests.ArriveAsync(http, $"x{round}b", phone, "are you there?");
            var (answer, landed) = (await reopen, await writes);

            // Either the reopen came first and the message landed in it, or the message opened a new conversation and the reopen was refused.
            Assert.Equal(answer.StatusCode == HttpStatusCode.OK ? old : landed, landed);
            Assert.Contains(answer.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Conflict });
            await using var db = host.CreateDbContext();
            var contact = db.Conversations.Single(c => c.Id == old).ContactId;
            Assert.Equal(1, db.Conversations.Count(c => c.ContactId == contact && c.Status != ChatGateway.Gateway.Store.ConversationStatus.Closed));
            // The reopened conversation, or the new one, came to bob's desk.
            Assert.Equal(landed, (await bob.NextAssignedAsync()).Id);
            await bob.CloseAsync(landed);
        }
    }
}
