using System.Net;
using System.Net.Http.Json;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Tests.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace ChatGateway.Gateway.Tests.Reports;

/// <summary>
/// An hour of a shop's service on a fake clock, through the probe channel and the agents' desk API, with the answers a
/// supervisor should read off the report worked out by hand (T = the start, minutes after it):
/// <list type="bullet">
/// <item>A (carol, logistics): the customer writes at T+0 and T+1, carol answers at T+2 (turn 120 s), the customer asks again at
/// T+10, carol answers at T+15 (300 s); carol closes at T+20; rated 5.</item>
/// <item>B (bob, complaints): the customer writes at T+30, bob answers at T+31 (60 s, first response); the customer writes at T+35
/// and T+45 with no answer (a follow-up message, not an agent's, goes out at T+46): an open turn, unanswered.</item>
/// <item>D (logistics to complaints): the customer writes at T+40 (carol has it), carol passes it to complaints with a note at
/// T+41 (bob has it), bob answers at T+43 (180 s: exactly the 3-minute target) and closes at T+58; rated 3.</item>
/// <item>C (logistics): carol is away at T+50 when the customer writes (an automatic reply goes out: no answer); she comes
/// back at T+54 and gets it (a 240 s wait), and answers at T+55 (300 s).</item>
/// <item>Follow-ups: one sent, one skipped, one cancelled (not counted); the report is read at T+60.</item>
/// </list>
/// </summary>
internal sealed class ScriptedDay : IAsyncDisposable
{
    public static readonly Dictionary<string, string?> Settings = new()
    {
        ["BusinessHours:TimeZone"] = "Asia/Shanghai",
        ["Routing:NoAnswerTimeout"] = "00:00:00",
        ["Reports:ResponseTarget"] = "00:03:00",
        // The survey after closing would be one more follow-up sent, when quiet hours allow: the script rates directly.
        ["FollowUps:Rules:survey:Enabled"] = "false",
    };

    private ScriptedDay(GatewayHost host, FakeTimeProvider clock, AgentSession alice, AgentSession bob, AgentSession carol)
    {
        Host = host;
        Clock = clock;
        Alice = alice;
        Bob = bob;
        Carol = carol;
    }

    public GatewayHost Host { get; }

    public FakeTimeProvider Clock { get; }

    public DateTimeOffset Start { get; private set; }

    public AgentSession Alice { get; }

    public AgentSession Bob { get; }

    public AgentSession Carol { get; }

    /// <summary>When each customer turn began (minutes after the start), for the report by day and hour.</summary>
    public static readonly int[] TurnStarts = [0, 10, 30, 35, 40, 50];

    /// <summary>When each conversation opened (minutes after the start).</summary>
    public static readonly int[] ConversationStarts = [0, 30, 40, 50];

    public static async Task<ScriptedDay> RunAsync()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var host = await GatewayHost.StartAsync(clock: clock, settings: Settings);
        var day = new ScriptedDay(host, clock, await host.SignInAsync("alice", online: false), await host.SignInAsync("bob"), await host.SignInAsync("carol"));
        await day.PlayAsync();
        return day;
    }

    private void At(int minutes) => Clock.SetUtcNow(Start.AddMinutes(minutes));

    private async Task PlayAsync()
    {
        Start = Clock.GetUtcNow();
        using var http = Host.CreateClient();

        var a = (await RoutingTests.Inbound(http, "a1", "+10000000901", "where is my parcel?")).GetProperty("conversationId").GetGuid();
        Assert.Equal(a, (await Carol.NextAssignedAsync()).Id);
        At(1);
        await RoutingTests.Inbound(http, "a2", "+10000000901", "order 1001");
        At(2);
        await Carol.ReplyAsync(a, "它在路上 It is on its way");
        At(10);
        await RoutingTests.Inbound(http, "a3", "+10000000901", "and when will it arrive?");
        At(15);
        await Carol.ReplyAsync(a, "明天 Tomorrow");
        At(20);
        await Carol.CloseAsync(a);

        At(30);
        var b = (await RoutingTests.Inbound(http, "b1", "+10000000902", "I want to file a complaint")).GetProperty("conversationId").GetGuid();
        Assert.Equal(b, (await Bob.NextAssignedAsync()).Id);
        At(31);
        await Bob.ReplyAsync(b, "很抱歉 Sorry to hear that");
        At(35);
        await RoutingTests.Inbound(http, "b2", "+10000000902", "the box was empty");
        At(40);
        var d = (await RoutingTests.Inbound(http, "d1", "+10000000903", "where is my parcel? it is late")).GetProperty("conversationId").GetGuid();
        Assert.Equal(d, (await Carol.NextAssignedAsync()).Id);
        At(41);
        var transfer = await Carol.Http.PostAsJsonAsync($"/api/conversations/{d}/transfer", new { toSkill = "complaints", note = "angry, please take it" });
        Assert.Equal(HttpStatusCode.OK, transfer.StatusCode);
        Assert.Equal(d, (await Bob.NextAssignedAsync()).Id);
        At(43);
        await Bob.ReplyAsync(d, "我来处理 I will handle it");
        await AddOverridesAsync(d, Bob.Agent.Id, "不归我管", "calm down");
        At(45);
        await RoutingTests.Inbound(http, "b3", "+10000000902", "hello?");
        At(46);
        await AddFollowUpsAsync(b);

        await Carol.SetPresenceAsync("away");
        At(50);
        var c = (await RoutingTests.Inbound(http, "c1", "+10000000904", "where is my parcel? tracking please")).GetProperty("conversationId").GetGuid();
        At(54);
        await Carol.SetPresenceAsync("online");
        Assert.Equal(c, (await Carol.NextAssignedAsync()).Id);
        At(55);
        await Carol.ReplyAsync(c, "单号 SF123 Tracking SF123");
        At(58);
        await Bob.CloseAsync(d);

        await RateAsync(a, 5);
        await RateAsync(d, 3);
        At(60);
    }

    /// <summary>Forbidden phrases the agent sent anyway (one row per phrase, as the reply guard records them).</summary>
    private async Task AddOverridesAsync(Guid conversationId, Guid agentId, params string[] phrases)
    {
        await using var db = Host.CreateDbContext();
        foreach (var phrase in phrases)
        {
            db.ReplyOverrides.Add(new ReplyOverride { Id = Guid.CreateVersion7(), AgentId = agentId, ConversationId = conversationId, Phrase = phrase, CreatedAt = Clock.GetUtcNow() });
        }

        await db.SaveChangesAsync();
    }

    /// <summary>A sent follow-up (its message goes out in B, from the shop, not an agent), a skipped one and a cancelled one.</summary>
    private async Task AddFollowUpsAsync(Guid conversationId)
    {
        var now = Clock.GetUtcNow();
        await using var db = Host.CreateDbContext();
        var conversation = await db.Conversations.SingleAsync(x => x.Id == conversationId);
        FollowUp New(FollowUpStatus status) => new()
        {
            Id = Guid.CreateVersion7(now),
            Kind = FollowUpKinds.ReturnVisit,
            ContactId = conversation.ContactId,
            ConversationId = conversationId,
            DueAt = now,
            Channel = conversation.LastInstanceId,
            Status = status,
            CreatedAt = now,
            DoneAt = now,
        };
        var sent = New(FollowUpStatus.Sent);
        db.FollowUps.AddRange(sent, New(FollowUpStatus.Skipped), New(FollowUpStatus.Cancelled));
        db.Messages.Add(new Message
        {
            Id = sent.Id,
            ConversationId = conversationId,
            InstanceId = conversation.LastInstanceId,
            ExternalId = conversation.LastExternalId,
            Direction = MessageDirection.Out,
            Text = "亲，收到货了吗？ Did your parcel arrive?",
            AgentName = "Demo Shop",
            Status = MessageStatus.Sent,
            CreatedAt = now,
        });
        await db.SaveChangesAsync();
    }

    /// <summary>The survey's answer as the survey stores it.</summary>
    private async Task RateAsync(Guid conversationId, int rating)
    {
        await using var db = Host.CreateDbContext();
        var updated = await db.Conversations.Where(x => x.Id == conversationId)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.SurveyRating, rating).SetProperty(x => x.SurveyRatedAt, Clock.GetUtcNow()));
        Assert.Equal(1, updated);
    }

    public async ValueTask DisposeAsync()
    {
        await Alice.DisposeAsync();
        await Bob.DisposeAsync();
        await Carol.DisposeAsync();
        await Host.DisposeAsync();
    }
}
