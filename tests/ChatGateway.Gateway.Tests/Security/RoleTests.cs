using System.Net;
using System.Net.Http.Json;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Web;

namespace ChatGateway.Gateway.Tests.Security;

/// <summary>
/// Supervisors (alice) manage agents, read the routing rules, set a contact's personal agent and read any
/// conversation; agents (bob, carol) get 403 there and see only their own conversations. Bad inputs tried:
/// an unknown skill or role, a short password, a duplicate user name, a malformed body, an unknown agent id,
/// a supervisor disabling or demoting themselves.
/// </summary>
public sealed class RoleTests
{
    public static TheoryData<string, string> SupervisorOnly => new()
    {
        { "GET", "/api/admin/agents" },
        { "POST", "/api/admin/agents" },
        { "PUT", "/api/admin/agents/{bob}" },
        { "POST", "/api/admin/agents/{bob}/password" },
        { "GET", "/api/admin/routing" },
        { "PUT", "/api/contacts/{contact}/exclusive-agent" },
    };

    [Theory]
    [MemberData(nameof(SupervisorOnly))]
    public async Task SupervisorOnlyEndpoint_Agent403_SupervisorAllowed(string method, string path)
    {
        await using var host = await GatewayHost.StartAsync();
        await using var bob = await host.SignInAsync("bob");
        await using var visitor = await Visitor.ArriveAsync(host);
        await visitor.SendOkAsync("I want to complain about my order");
        var conversation = await bob.NextAssignedAsync();
        path = path.Replace("{bob}", bob.Agent.Id.ToString()).Replace("{contact}", conversation.Contact.Id.ToString());
        object body = path.EndsWith("/password", StringComparison.Ordinal) ? new { newPassword = "reset-by-a-supervisor-1" }
            : path.EndsWith("exclusive-agent", StringComparison.Ordinal) ? new { agent = "bob" }
            : method == "POST" ? new { userName = "dave", password = "dave-has-a-good-password", skills = new[] { "pre-sale" } }
            : new { displayName = "Bobby" };

        var asAgent = await bob.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = JsonContent.Create(body) });
        Assert.Equal(HttpStatusCode.Forbidden, asAgent.StatusCode);

        using var alice = await SecurityClient.SignInAsync(host, "alice");
        var asSupervisor = await alice.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = JsonContent.Create(body) });
        Assert.True(asSupervisor.IsSuccessStatusCode, $"{method} {path} as supervisor: {(int)asSupervisor.StatusCode} {await asSupervisor.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task AnotherAgentsConversation_SupervisorReadsIt_AgentGets404()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var bob = await host.SignInAsync("bob");
        await using var visitor = await Visitor.ArriveAsync(host);
        await visitor.SendOkAsync("I want to complain about my order");
        var conversation = await bob.NextAssignedAsync();

        using var carol = await SecurityClient.SignInAsync(host, "carol");
        Assert.Equal(HttpStatusCode.NotFound, (await carol.Http.GetAsync($"/api/conversations/{conversation.Id}")).StatusCode);

        using var alice = await SecurityClient.SignInAsync(host, "alice");
        var read = await alice.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{conversation.Id}");
        Assert.Contains(read!.Messages!, m => m.Text == "I want to complain about my order");
        // Read-only: replying stays with the conversation's agent.
        Assert.Equal(HttpStatusCode.NotFound, (await alice.Http.PostAsJsonAsync($"/api/conversations/{conversation.Id}/messages", new { text = "hi" })).StatusCode);
    }

    [Fact]
    public async Task AgentManagement_CreateChangeDisableReset_AsAUserWouldSeeIt()
    {
        await using var host = await GatewayHost.StartAsync();
        using var alice = await SecurityClient.SignInAsync(host, "alice");
        using var http = host.CreateClient();

        // Bad inputs are refused with a reason and create nothing.
        foreach (var (body, status, reason) in new (object, HttpStatusCode, string)[]
        {
            (new { userName = "dave", password = "dave-has-a-good-password", skills = new[] { "astrology" } }, HttpStatusCode.BadRequest, "'astrology' is not in Routing:Skills"),
            (new { userName = "dave", password = "dave-has-a-good-password", role = "root" }, HttpStatusCode.BadRequest, "role must be"),
            (new { userName = "dave", password = "short" }, HttpStatusCode.BadRequest, "at least 12 characters"),
            (new { userName = "da ve", password = "dave-has-a-good-password" }, HttpStatusCode.BadRequest, "userName must be"),
            (new { userName = "bob", password = "dave-has-a-good-password" }, HttpStatusCode.Conflict, "exists already"),
        })
        {
            var bad = await alice.Http.PostAsJsonAsync("/api/admin/agents", body);
            Assert.Equal(status, bad.StatusCode);
            Assert.Contains(reason, (await bad.Content.ReadFromJsonAsync<ErrorDto>())!.Error);
        }

        var malformed = await alice.Http.PostAsync("/api/admin/agents", new StringContent("{", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.DoesNotContain(await alice.Http.GetFromJsonAsync<List<AdminAgentDto>>("/api/admin/agents") ?? [], a => a.UserName == "dave");

        // A new agent can sign in at once.
        var created = await alice.Http.PostAsJsonAsync("/api/admin/agents", new { userName = "dave", displayName = "Dave", password = "dave-has-a-good-password", skills = new[] { "logistics" }, maxConcurrent = 2 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var dave = (await created.Content.ReadFromJsonAsync<AdminAgentDto>())!;
        Assert.False(dave.FromConfiguration);
        using var daveDesk = await SecurityClient.SignInAsync(host, "dave", "dave-has-a-good-password");
        Assert.Equal(HttpStatusCode.Forbidden, (await daveDesk.Http.GetAsync("/api/admin/agents")).StatusCode);

        // Promoted, dave's open session is a supervisor's at once.
        var promoted = await alice.Http.PutAsJsonAsync($"/api/admin/agents/{dave.Id}", new { role = "supervisor", skills = new[] { "logistics", "vip" } });
        Assert.Equal(HttpStatusCode.OK, promoted.StatusCode);
        Assert.Equal(["logistics", "vip"], (await promoted.Content.ReadFromJsonAsync<AdminAgentDto>())!.Skills);
        Assert.Equal(HttpStatusCode.OK, (await daveDesk.Http.GetAsync("/api/admin/agents")).StatusCode);

        // A password reset signs dave out everywhere; the new password works.
        Assert.Equal(HttpStatusCode.OK, (await alice.Http.PostAsJsonAsync($"/api/admin/agents/{dave.Id}/password", new { newPassword = "a-new-password-for-dave" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await daveDesk.Http.GetAsync("/api/agents/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SecurityClient.LoginAsync(http, "dave", "a-new-password-for-dave")).StatusCode);

        // Disabled, dave cannot sign in; enabled again, he can.
        Assert.Equal(HttpStatusCode.OK, (await alice.Http.PutAsJsonAsync($"/api/admin/agents/{dave.Id}", new { enabled = false })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SecurityClient.LoginAsync(http, "dave", "a-new-password-for-dave")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await alice.Http.PutAsJsonAsync($"/api/admin/agents/{dave.Id}", new { enabled = true })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SecurityClient.LoginAsync(http, "dave", "a-new-password-for-dave")).StatusCode);

        // A supervisor cannot lock themselves out; unknown ids are 404.
        var self = await alice.Http.PutAsJsonAsync($"/api/admin/agents/{alice.Agent.Id}", new { enabled = false });
        Assert.Equal(HttpStatusCode.BadRequest, self.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.Http.PutAsJsonAsync($"/api/admin/agents/{alice.Agent.Id}", new { role = "agent" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.Http.PutAsJsonAsync($"/api/admin/agents/{Guid.NewGuid()}", new { enabled = false })).StatusCode);
        Assert.Equal("supervisor", (await alice.Http.GetFromJsonAsync<AgentDto>("/api/agents/me"))!.Role);
    }
}
