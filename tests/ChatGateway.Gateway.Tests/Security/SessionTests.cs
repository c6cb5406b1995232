using System.Net;
using System.Net.Http.Json;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Web;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Gateway.Tests.Security;

/// <summary>
/// Desk sessions live in the store: sign-out, a password change and disabling an agent end them for the API
/// and the live hub, even for someone who kept a copy of the cookie. Bad inputs tried: a replayed cookie after
/// sign-out, a wrong current password, a too-short new password, the user name as password, a missing body.
/// </summary>
public sealed class SessionTests
{
    [Fact]
    public async Task SignOut_OldCookieReplayed_Gets401FromApiAndHub()
    {
        await using var host = await GatewayHost.StartAsync();
        using var bob = await SecurityClient.SignInAsync(host, "bob");
        Assert.Equal(HttpStatusCode.OK, (await bob.Http.GetAsync("/api/agents/me")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await bob.Http.PostAsync("/api/auth/logout", null)).StatusCode);

        // Someone who copied the cookie before sign-out (a shared computer, a proxy log) gets nothing.
        using var replay = SecurityClient.WithCookie(host, bob.Cookie);
        Assert.Equal(HttpStatusCode.Unauthorized, (await replay.GetAsync("/api/agents/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await replay.PutAsJsonAsync("/api/agents/me/presence", new { presence = "online" })).StatusCode);

        var hub = new HubConnectionBuilder().WithUrl(new Uri(host.BaseAddress, "/hubs/agent"), o => o.Cookies = SecurityClient.Jar(host, bob.Cookie)).Build();
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => hub.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        await using var db = host.CreateDbContext();
        Assert.NotNull((await db.AgentSessions.SingleAsync(s => s.AgentId == bob.Agent.Id)).EndedAt);
    }

    [Fact]
    public async Task SignOut_TheDeskConnectionThatIsAlreadyOpen_IsClosed_AndGetsNoMoreCustomerMessages()
    {
        // A live connection outlives the request that opened it: ending the session must end it too, or a
        // signed-out (or fired) agent's open tab keeps receiving customers' messages.
        await using var host = await GatewayHost.StartAsync();
        await using var bob = await host.SignInAsync("bob");
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bob.Hub.Closed += _ => { closed.TrySetResult(); return Task.CompletedTask; };

        Assert.Equal(HttpStatusCode.NoContent, (await bob.Http.PostAsync("/api/auth/logout", null)).StatusCode);

        await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(HubConnectionState.Disconnected, bob.Hub.State);
    }

    [Fact]
    public async Task OpenDesk_WithItsSessionAlive_StaysConnectedAcrossSweeps()
    {
        // The sweep that closes ended sessions' connections must recognise live ones (one query for all of them).
        await using var host = await GatewayHost.StartAsync();
        await using var bob = await host.SignInAsync("bob");
        await using var alice = await host.SignInAsync("alice");
        var closed = 0;
        bob.Hub.Closed += _ => { Interlocked.Increment(ref closed); return Task.CompletedTask; };
        alice.Hub.Closed += _ => { Interlocked.Increment(ref closed); return Task.CompletedTask; };

        var closedNow = await host.Services.GetRequiredService<Agents.DeskConnections>().SweepAsync(CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(4)); // past a timed sweep too

        Assert.Equal(0, closedNow);
        Assert.Equal(0, closed);
        Assert.Equal((HubConnectionState.Connected, HubConnectionState.Connected), (bob.Hub.State, alice.Hub.State));
    }

    [Fact]
    public async Task ChangePassword_TheOtherDesksOpenConnection_IsClosedWithinSeconds()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var other = await host.SignInAsync("bob");
        using var current = await SecurityClient.SignInAsync(host, "bob");
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        other.Hub.Closed += _ => { closed.TrySetResult(); return Task.CompletedTask; };

        var changed = await current.Http.PostAsJsonAsync("/api/agents/me/password", new { currentPassword = GatewayHost.DemoPassword, newPassword = "a-much-better-password-42" });
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);

        await closed.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(HttpStatusCode.OK, (await current.Http.GetAsync("/api/agents/me")).StatusCode);
    }

    [Fact]
    public async Task ChangePassword_EndsTheOtherSessionsButKeepsTheCurrent()
    {
        await using var host = await GatewayHost.StartAsync();
        using var laptop = await SecurityClient.SignInAsync(host, "bob");
        using var phone = await SecurityClient.SignInAsync(host, "bob");
        const string newPassword = "a-much-better-password-42";

        // Bad inputs change nothing: both sessions and the old password keep working.
        foreach (var (body, reason) in new (object, string)[]
        {
            (new { currentPassword = "not-my-password", newPassword }, "currentPassword is wrong"),
            (new { currentPassword = GatewayHost.DemoPassword, newPassword = "short" }, "at least 12 characters"),
            (new { currentPassword = GatewayHost.DemoPassword, newPassword = "bob" }, "at least"),
            (new { currentPassword = GatewayHost.DemoPassword, newPassword = "BOB         " }, "must not be the user name"),
            (new { currentPassword = GatewayHost.DemoPassword }, "required"),
        })
        {
            var bad = await laptop.Http.PostAsJsonAsync("/api/agents/me/password", body);
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains(reason, (await bad.Content.ReadFromJsonAsync<ErrorDto>())!.Error);
        }

        var sameAsName = await laptop.Http.PostAsJsonAsync("/api/agents/me/password", new { currentPassword = GatewayHost.DemoPassword, newPassword = "bobbobbobbob" });
        Assert.Equal(HttpStatusCode.OK, sameAsName.StatusCode); // contains the name but is not the name: allowed
        Assert.Equal(HttpStatusCode.Unauthorized, (await phone.Http.GetAsync("/api/agents/me")).StatusCode);

        using var tablet = await SecurityClient.SignInAsync(host, "bob", "bobbobbobbob");
        var changed = await laptop.Http.PostAsJsonAsync("/api/agents/me/password", new { currentPassword = "bobbobbobbob", newPassword });
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await laptop.Http.GetAsync("/api/agents/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await tablet.Http.GetAsync("/api/agents/me")).StatusCode);
        using var http = host.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await SecurityClient.LoginAsync(http, "bob", GatewayHost.DemoPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SecurityClient.LoginAsync(http, "bob", newPassword)).StatusCode);
    }

    [Fact]
    public async Task ChangePassword_ToTheUserName_IsRefused()
    {
        await using var host = await GatewayHost.StartAsync(settings: new Dictionary<string, string?> { ["Auth:MinPasswordLength"] = "8" });
        await using (var db = host.CreateDbContext())
        {
            // A longer user name, so the length rule does not hide the name rule.
            await db.Agents.Where(a => a.UserName == "carol").ExecuteUpdateAsync(a => a.SetProperty(x => x.UserName, "carolina"));
        }

        using var carol = await SecurityClient.SignInAsync(host, "carolina");
        var bad = await carol.Http.PostAsJsonAsync("/api/agents/me/password", new { currentPassword = GatewayHost.DemoPassword, newPassword = "Carolina" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("must not be the user name", (await bad.Content.ReadFromJsonAsync<ErrorDto>())!.Error);
    }

    [Fact]
    public async Task DisabledAgent_TheirSessionStopsWorkingAtOnce()
    {
        await using var host = await GatewayHost.StartAsync();
        using var alice = await SecurityClient.SignInAsync(host, "alice");
        using var bob = await SecurityClient.SignInAsync(host, "bob");

        var disable = await alice.Http.PutAsJsonAsync($"/api/admin/agents/{bob.Agent.Id}", new { enabled = false });
        Assert.Equal(HttpStatusCode.OK, disable.StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await bob.Http.GetAsync("/api/conversations")).StatusCode);
        using var http = host.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await SecurityClient.LoginAsync(http, "bob", GatewayHost.DemoPassword)).StatusCode);
    }
}
