using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Routing;

/// <summary>
/// Every instance runs the routing timers (response watch, no-answer, overflow) over the same store and Redis; each
/// event must still be acted on once: one alert on the desk, one move, one note in the history.
/// Demo agents: alice (pre-sale, vip), bob (after-sale, complaints, pre-sale).
/// </summary>
public sealed class TimersOnTwoInstancesTests
{
    /// <summary>
    /// Overflow steps as a shop would set them; routing recovery (which also runs when the clock moves a minute)
    /// is kept out of the way, so what the desks hear comes from the timer under test.
    /// </summary>
    internal static Dictionary<string, string?> Settings(params (string Key, string? Value)[] extra)
    {
        var s = new Dictionary<string, string?>
        {
            ["Routing:RecoveryInterval"] = "01:00:00",
            ["Routing:VipQueue"] = "vip",
            ["Routing:Steps:0:Name"] = "vip", ["Routing:Steps:0:Skills:0"] = "vip",
            ["Routing:Steps:0:Timeout"] = "00:01:00", ["Routing:Steps:0:Next"] = "pre-sale",
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
    public async Task CustomerUnansweredPastTheResponseTarget_BothInstancesWatching_RaisesOneAlertOnTheDesk()
    {
        await using var two = await TwoInstances.StartAsync(Settings(
            ("Routing:NoAnswerTimeout", "00:00:00"), // no reassignment: only the alert
            ("Routing:ResponseTarget", "00:05:00")));
        await using var alice = await two.A.SignInAsync("alice");
        using var http = two.B.CreateClient();
        var id = (await RoutingTests.Inbound(http, "t1", "+10000000401", "hello, anyone?")).GetProperty("conversationId").GetGuid();
        Assert.Equal(id, (await alice.NextAssignedAsync()).Id);

        two.Clock.Advance(TimeSpan.FromMinutes(6));
        await two.BothAsync<ResponseWatchService>(w => w.CheckAsync(CancellationToken.None));
        await two.BothAsync<ResponseWatchService>(w => w.CheckAsync(CancellationToken.None));

        Assert.Equal(id, await alice.NextOverdueAsync());
        await Assert.ThrowsAsync<TimeoutException>(() => alice.NextOverdueAsync(TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task AgentWhoDoesNotAnswer_BothInstancesWatching_LosesTheConversationOnce_WithOneNote()
    {
        await using var two = await TwoInstances.StartAsync(Settings(("Routing:NoAnswerTimeout", "00:02:00")));
        await using var alice = await two.A.SignInAsync("alice");
        using var http = two.A.CreateClient();
        var id = (await RoutingTests.Inbound(http, "t2", "+10000000402", "hello?")).GetProperty("conversationId").GetGuid();
        Assert.Equal(id, (await alice.NextAssignedAsync()).Id);
        await using var bob = await two.B.SignInAsync("bob");

        two.Clock.Advance(TimeSpan.FromSeconds(121));
        await two.BothAsync<ResponseWatchService>(w => w.CheckAsync(CancellationToken.None));

        Assert.Equal(id, (await bob.NextAssignedAsync()).Id);
        Assert.Equal(id, await alice.NextRemovedAsync());
        Assert.True(await bob.NothingAssignedWithinAsync(TimeSpan.FromMilliseconds(500)), "assigned to bob a second time");
        await using var db = two.A.CreateDbContext();
        var notes = await db.Messages.Where(m => m.ConversationId == id && m.Direction == MessageDirection.Note).Select(m => m.Text).ToListAsync();
        Assert.Equal(["Alice did not answer within 120 s; offered to another agent."], notes);
        var conversation = await db.Conversations.SingleAsync(c => c.Id == id);
        Assert.Equal((bob.Agent.Id, 1), (conversation.AssignedAgentId!.Value, conversation.TransferCount));
    }

    [Fact]
    public async Task VipPastItsStepTimeout_BothInstancesChecking_OverflowsOnce()
    {
        await using var two = await TwoInstances.StartAsync(Settings(("Routing:VipContacts:0", "+19990000401")));
        await using var bob = await two.B.SignInAsync("bob"); // pre-sale, not vip
        using var http = two.A.CreateClient();
        var id = (await RoutingTests.Inbound(http, "t3", "+19990000401", "I'm a VIP")).GetProperty("conversationId").GetGuid();

        two.Clock.Advance(TimeSpan.FromSeconds(61));
        await two.BothAsync<OverflowService>(o => o.CheckAsync(CancellationToken.None));

        var served = await bob.NextAssignedAsync();
        Assert.Equal((id, "pre-sale"), (served.Id, served.Skill));
        Assert.True(await bob.NothingAssignedWithinAsync(TimeSpan.FromMilliseconds(500)), "assigned to bob a second time");
        await using var db = two.A.CreateDbContext();
        var reason = (await db.Conversations.SingleAsync(c => c.Id == id)).RoutingReason ?? "";
        Assert.Equal(1, CountOf(reason, "overflowed from vip"));
    }

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "").Length) / part.Length;
}
