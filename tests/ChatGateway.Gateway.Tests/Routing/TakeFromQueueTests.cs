using System.Net;
using System.Net.Http.Json;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Tests.Search;
using ChatGateway.Gateway.Web;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Gateway.Tests.Routing;

/// <summary>
/// An agent takes a waiting customer from a queue they serve (POST /api/conversations/{id}/take): once, against routing's own
/// assignment and other agents, on one instance or two. Runs on Garnet and on redis-server (CHATGATEWAY_TEST_BACKEND=redis).
/// </summary>
public sealed class TakeFromQueueTests
{
    [Fact]
    public async Task Take_SkillsFit_AssignedAndOffTheQueue_SkillsDoNot403_AlreadyTaken409_Unknown404_Closed409()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var bob = await host.SignInAsync("bob", online: false);
        await using var carol = await host.SignInAsync("carol", online: false);
        await using var alice = await host.SignInAsync("alice", online: false);
        using var http = host.CreateClient();
        var id = await SearchApiTests.ArriveAsync(http, "t1", "+10000000401", "hi, about the teapot");
        var routing = host.Services.GetRequiredService<RedisRoutingStore>();
        Assert.True(await routing.IsWaitingAsync(id, "pre-sale"));

        // The Queues view lists it for agents who serve pre-sale, and says who can take it.
        var bobsQueue = await bob.Http.GetFromJsonAsync<List<WaitingConversationDto>>("/api/queues/waiting");
        Assert.True(Assert.Single(bobsQueue!, w => w.Id == id).CanTake);
        Assert.DoesNotContain((await carol.Http.GetFromJsonAsync<List<WaitingConversationDto>>("/api/queues/waiting"))!, w => w.Id == id);

        // carol (logistics, after-sale) may not take a pre-sale customer: 403 with the reason, and it still waits.
        var unfit = await carol.Http.PostAsync($"/api/conversations/{id}/take", null);
        Assert.Equal(HttpStatusCode.Forbidden, unfit.StatusCode);
        Assert.Contains("pre-sale", (await unfit.Content.ReadFromJsonAsync<ErrorDto>())!.Error);
        Assert.True(await routing.IsWaitingAsync(id, "pre-sale"));

        // bob takes it: his, live on his desk, counted in his load, off the queue.
        var taken = await bob.Http.PostAsync($"/api/conversations/{id}/take", null);
        Assert.Equal(HttpStatusCode.OK, taken.StatusCode);
        Assert.Equal(bob.Agent.Id, (await taken.Content.ReadFromJsonAsync<ConversationDto>())!.AssignedAgentId);
        Assert.Equal(id, (await bob.NextAssignedAsync()).Id);
        Assert.Equal([id], (await bob.ListAsync()).Select(c => c.Id));
        Assert.False(await routing.IsWaitingAsync(id, "pre-sale"));
        Assert.Equal(1, await routing.GetLoadAsync(bob.Agent.Id));
        Assert.DoesNotContain((await alice.Http.GetFromJsonAsync<List<WaitingConversationDto>>("/api/queues/waiting"))!, w => w.Id == id);

        // Too late for alice: 409, and bob keeps it.
        var late = await alice.Http.PostAsync($"/api/conversations/{id}/take", null);
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Equal(bob.Agent.Id, await routing.GetAssignedAgentAsync(id));
        Assert.Equal(0, await routing.GetLoadAsync(alice.Agent.Id));

        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.PostAsync($"/api/conversations/{Guid.NewGuid()}/take", null)).StatusCode);
        await bob.CloseAsync(id);
        Assert.Equal(HttpStatusCode.Conflict, (await alice.Http.PostAsync($"/api/conversations/{id}/take", null)).StatusCode);
        using var anonymous = host.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync($"/api/conversations/{id}/take", null)).StatusCode);
    }

    [Fact]
    public async Task Take_TwoAgentsRace_AndRoutingAssignsAtOnce_ExactlyOneGetsEachCustomer()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var bob = await host.SignInAsync("bob", online: false);
        await using var alice = await host.SignInAsync("alice", online: false);
        using var http = host.CreateClient();
        var routing = host.Services.GetRequiredService<RedisRoutingStore>();

        for (var round = 0; round < 5; round++)
        {
            var id = await SearchApiTests.ArriveAsync(http, $"race{round}", $"+1000000050{round}", "hi, about the teapot");
            var answers = await Task.WhenAll(
                alice.Http.PostAsync($"/api/conversations/{id}/take", null),
                bob.Http.PostAsync($"/api/conversations/{id}/take", null));
            Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
            Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Conflict);
            var winner = answers[0].StatusCode == HttpStatusCode.OK ? alice.Agent.Id : bob.Agent.Id;
            Assert.Equal(winner, await routing.GetAssignedAgentAsync(id));
            await (winner == alice.Agent.Id ? alice : bob).CloseAsync(id);
        }

        // Routing's own assignment (bob comes online and pulls the waiting customer) against alice's take.
        for (var round = 0; round < 3; round++)
        {
            var id = await SearchApiTests.ArriveAsync(http, $"pull{round}", $"+1000000060{round}", "hi, about the teapot");
            var take = alice.Http.PostAsync($"/api/conversations/{id}/take", null);
            var online = bob.SetPresenceAsync("online");
            var answer = await take;
            await online;
            var agent = await routing.GetAssignedAgentAsync(id);
            Assert.Equal(answer.StatusCode == HttpStatusCode.OK ? alice.Agent.Id : bob.Agent.Id, agent);
            Assert.Equal(1, await routing.GetLoadAsync(alice.Agent.Id) + await routing.GetLoadAsync(bob.Agent.Id));
            await bob.SetPresenceAsync("offline");
            if (agent == alice.Agent.Id)
            {
                await alice.CloseAsync(id);
            }
            else
            {
                // Going offline handed bob's conversation back to the queue; take it and close it.
                Assert.Equal(HttpStatusCode.OK, (await alice.Http.PostAsync($"/api/conversations/{id}/take", null)).StatusCode);
                await alice.CloseAsync(id);
            }
        }
    }

    [Fact]
    public async Task Take_TwoAgentsOnTwoInstancesRace_ExactlyOneWins()
    {
        await using var cluster = await TwoInstances.StartAsync();
        await using var bob = await cluster.A.SignInAsync("bob", online: false);
        await using var alice = await cluster.B.SignInAsync("alice", online: false);
        using var http = cluster.A.CreateClient();

        for (var round = 0; round < 5; round++)
        {
            var id = await SearchApiTests.ArriveAsync(http, $"two{round}", $"+1000000070{round}", "hi, about the teapot");
            var answers = await Task.WhenAll(
                bob.Http.PostAsync($"/api/conversations/{id}/take", null),
                alice.Http.PostAsync($"/api/conversations/{id}/take", null));
            Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
            Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Conflict);
            var winner = answers[0].StatusCode == HttpStatusCode.OK ? bob : alice;
            Assert.Equal([id], (await winner.ListAsync()).Select(c => c.Id));
            Assert.Empty(await (winner == bob ? alice : bob).ListAsync());
            await winner.CloseAsync(id);
        }
    }
}
