using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatGateway.Gateway.Tests.Security;

/// <summary>
/// The desk in a real browser shows supervisor controls (the Agents panel, choosing a personal agent) to alice
/// only; bob, an agent, does not see them. Bad inputs tried in the panel: a short password for a new agent
/// (the reason is shown), a wrong current password in the password change (the reason is shown).
/// </summary>
public sealed class DeskRoleBrowserTests
{
    [Fact]
    public async Task Desk_AgentDoesNotSeeSupervisorControls_SupervisorManagesAgents()
    {
        await using var host = await GatewayHost.StartAsync();
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var errors = new List<string>();

        // Bob, an agent, gets a complaint: he sees the conversation and its personal agent, but no controls to set one, and no Agents tab.
        var bobContext = await browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString(), ViewportSize = new() { Width = 1400, Height = 900 } });
        var bob = await bobContext.NewPageAsync();
        bob.PageError += (_, e) => errors.Add("bob: " + e);
        await Browser.SignInOnlineAsync(bob, "bob");
        await using (var visitor = await Visitor.ArriveAsync(host))
        {
            await visitor.SendOkAsync("I want to complain about my order");
        }

        await bob.GetByTestId("desk-conversation").ClickAsync();
        await Expect(bob.GetByTestId("desk-exclusive-agent")).ToHaveCountAsync(1);
        await Expect(bob.GetByTestId("desk-exclusive-set")).ToHaveCountAsync(0);
        await Expect(bob.GetByTestId("desk-tab-agents")).ToBeHiddenAsync();
        await Expect(bob.GetByTestId("desk-agents")).ToBeHiddenAsync();

        // Bob changes his own password; a wrong current password is explained, the right one works.
        await bob.GetByTestId("desk-password-open").ClickAsync();
        await bob.GetByTestId("desk-password-current").FillAsync("not-my-password");
        await bob.GetByTestId("desk-password-new").FillAsync("bobs-new-long-password");
        await bob.GetByTestId("desk-password-save").ClickAsync();
        await Expect(bob.GetByTestId("desk-password-error")).ToContainTextAsync("currentPassword is wrong");
        await bob.GetByTestId("desk-password-current").FillAsync(GatewayHost.DemoPassword);
        await bob.GetByTestId("desk-password-save").ClickAsync();
        await Expect(bob.GetByTestId("desk-toast")).ToContainTextAsync("Password changed");
        await Expect(bob.GetByTestId("desk-password-dialog")).ToBeHiddenAsync();
        await bob.GetByTestId("desk-presence").SelectOptionAsync("away");

        // Alice, a supervisor, sees the Agents tab and the personal-agent controls.
        var aliceContext = await browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString(), ViewportSize = new() { Width = 1400, Height = 900 } });
        var alice = await aliceContext.NewPageAsync();
        alice.PageError += (_, e) => errors.Add("alice: " + e);
        await Browser.SignInOnlineAsync(alice, "alice");
        await using (var visitor = await Visitor.ArriveAsync(host))
        {
            await visitor.SendOkAsync("hello, do you have this in blue?");
        }

        await alice.GetByTestId("desk-conversation").ClickAsync();
        await Expect(alice.GetByTestId("desk-exclusive-set")).ToHaveCountAsync(1);
        await Expect(alice.GetByTestId("desk-tab-agents")).ToBeVisibleAsync();
        await alice.GetByTestId("desk-tab-agents").ClickAsync();
        await Expect(alice.GetByTestId("desk-admin-agent")).ToHaveCountAsync(3);

        // She adds an agent: a short password is explained, then dave is created and can sign in.
        await alice.GetByTestId("desk-agent-create-user").FillAsync("dave");
        await alice.GetByTestId("desk-agent-create-name").FillAsync("Dave <b>D</b>");
        await alice.GetByTestId("desk-agent-create-password").FillAsync("short");
        await alice.GetByTestId("desk-agent-create-skills").FillAsync("logistics, vip");
        await alice.GetByTestId("desk-agent-create-save").ClickAsync();
        await Expect(alice.GetByTestId("desk-agent-create-error")).ToContainTextAsync("at least 12 characters");
        await alice.GetByTestId("desk-agent-create-password").FillAsync("daves-long-password");
        await alice.GetByTestId("desk-agent-create-save").ClickAsync();
        var dave = alice.Locator("[data-testid=desk-admin-agent][data-user=dave]");
        await Expect(dave).ToContainTextAsync("Dave <b>D</b>");
        await Expect(dave).ToContainTextAsync("logistics, vip");
        Assert.Equal(0, await dave.Locator("b").CountAsync());

        // And disables bob.
        var bobRow = alice.Locator("[data-testid=desk-admin-agent][data-user=bob]");
        await bobRow.GetByTestId("desk-admin-enable").ClickAsync();
        await Expect(bobRow).ToHaveAttributeAsync("data-enabled", "false");

        // Bob's desk notices at its next call: his session has ended.
        await bob.GetByTestId("desk-presence").SelectOptionAsync("online");
        await Expect(bob.GetByTestId("desk-login")).ToBeVisibleAsync();
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }
}
