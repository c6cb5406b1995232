using System.Net;
using System.Text.Json;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace ChatGateway.Gateway.Tests.FollowUps.Customer;

/// <summary>The customer answers the satisfaction survey by SMS: a bare 1-5 is a rating, anything else a message to route.</summary>
public sealed class SurveyAnswerTests
{
    private const string Phone = "+8613800138000";

    private static readonly DateTimeOffset Start = new(2026, 12, 7, 2, 0, 0, TimeSpan.Zero);

    /// <summary>The customer asks about their parcel, Carol answers and closes, and the survey goes out by SMS.</summary>
    private static async Task<Guid> ServedAndSurveyedAsync(GatewayHost host, FakeTwilioServer twilio, AgentSession carol, FakeTimeProvider clock)
    {
        await CustomerKit.TextAsync(host, Phone, "SM-q-1", "我的快递到哪里了？");
        var conversation = await carol.NextAssignedAsync();
        await carol.ReplyAsync(conversation.Id, "今天送达");
        await carol.CloseAsync(conversation.Id);
        Assert.Equal(carol.Agent.Id, (await CustomerKit.ConversationAsync(host, conversation.Id)).ClosedByAgentId);

        await CustomerKit.PutSurveyAsync(host, conversation.Id, clock.GetUtcNow());
        await twilio.WaitForRequestAsync(r => r.Body == CustomerKit.SurveyText && r.ResponseStatus == 201, TimeSpan.FromSeconds(15));
        return conversation.Id;
    }

    // Without SurveyAnswers the "4" opened the conversation and routed it to Carol like a new question.
    [Fact]
    public async Task SmsFour_RecordsFour_ClosesTheConversationAgain_ThanksTheCustomer_AndNoAgentGetsIt()
    {
        var clock = new FakeTimeProvider(Start);
        await using var twilio = await FakeTwilioServer.StartAsync(GatewayHost.SmsAccountSid, GatewayHost.SmsAuthToken);
        await using var host = await CustomerKit.StartWithSmsAsync(twilio, clock);
        await using var carol = await host.SignInAsync("carol");
        var conversationId = await ServedAndSurveyedAsync(host, twilio, carol, clock);

        await CustomerKit.TextAsync(host, Phone, "SM-a-1", " 4 ");

        var rated = await CustomerKit.ConversationAsync(host, conversationId);
        Assert.Equal(4, rated.SurveyRating);
        Assert.Equal(clock.GetUtcNow(), rated.SurveyRatedAt);
        Assert.Equal(ConversationStatus.Closed, rated.Status);
        var thanks = await twilio.WaitForRequestAsync(r => r.Body != null && r.Body.StartsWith("谢谢您的评价", StringComparison.Ordinal), TimeSpan.FromSeconds(15));
        Assert.Equal(Phone, thanks.To);
        Assert.True(await carol.NothingAssignedWithinAsync(TimeSpan.FromSeconds(1)));

        // Only the first rating counts: a later digit is a new question that routes.
        await CustomerKit.TextAsync(host, Phone, "SM-a-2", "5");
        var next = await carol.NextAssignedAsync();
        Assert.NotEqual(conversationId, next.Id);
        Assert.Equal(4, (await CustomerKit.ConversationAsync(host, conversationId)).SurveyRating);
    }

    // Bad inputs tried: a digit with a sentence, 6, 10, 0 and "五星" (all route; the parse is unit-tested below).
    [Fact]
    public async Task ADigitWithASentence_IsAnOrdinaryMessage_ThatRoutesToAnAgent()
    {
        var clock = new FakeTimeProvider(Start);
        await using var twilio = await FakeTwilioServer.StartAsync(GatewayHost.SmsAccountSid, GatewayHost.SmsAuthToken);
        await using var host = await CustomerKit.StartWithSmsAsync(twilio, clock);
        await using var carol = await host.SignInAsync("carol");
        var conversationId = await ServedAndSurveyedAsync(host, twilio, carol, clock);

        await CustomerKit.TextAsync(host, Phone, "SM-b-1", "4 but the parcel is broken");

        var routed = await carol.NextAssignedAsync();
        Assert.Equal(conversationId, routed.Id);
        var conversation = await CustomerKit.ConversationAsync(host, conversationId);
        Assert.Null(conversation.SurveyRating);
        Assert.Equal(ConversationStatus.Assigned, conversation.Status);
    }

    // Fails without the window check: the late "5" was taken as the rating.
    [Fact]
    public async Task AnAnswerAfterTheWindow_IsAnOrdinaryMessage()
    {
        var clock = new FakeTimeProvider(Start);
        await using var twilio = await FakeTwilioServer.StartAsync(GatewayHost.SmsAccountSid, GatewayHost.SmsAuthToken);
        await using var host = await CustomerKit.StartWithSmsAsync(twilio, clock);
        await using var carol = await host.SignInAsync("carol");
        var conversationId = await ServedAndSurveyedAsync(host, twilio, carol, clock);
        await carol.DisposeAsync();

        clock.Advance(TimeSpan.FromHours(48) + TimeSpan.FromMinutes(1));
        await CustomerKit.TextAsync(host, Phone, "SM-c-1", "5");

        var conversation = await CustomerKit.ConversationAsync(host, conversationId);
        Assert.Null(conversation.SurveyRating);
        Assert.NotEqual(ConversationStatus.Closed, conversation.Status);
        Assert.NotEqual(ConversationStatus.Pending, conversation.Status);
    }

    [Theory]
    [InlineData("5", 5)]
    [InlineData(" 1\n", 1)]
    [InlineData("５", 5)]
    [InlineData("３分", 3)]
    [InlineData("4星", 4)]
    [InlineData("0", null)]
    [InlineData("6", null)]
    [InlineData("10", null)]
    [InlineData("五星", null)]
    [InlineData("4 but the parcel is broken", null)]
    [InlineData("4分4", null)]
    public void ParseRating_TakesABareOneToFive_AndNothingElse(string text, int? expected) =>
        Assert.Equal(expected, Conversations.SurveyAnswers.ParseRating(text));

    // Bad inputs tried: days=0, days=abc, days=400, days repeated; an agent (not supervisor) asking.
    [Fact]
    public async Task Satisfaction_CountsRatingsPerClosingAgent_InTheWindow_ForSupervisorsOnly()
    {
        var clock = new FakeTimeProvider(Start);
        await using var host = await GatewayHost.StartAsync(clock: clock);
        await using var alice = await host.SignInAsync("alice", online: false);
        await using var bob = await host.SignInAsync("bob", online: false);
        var now = clock.GetUtcNow();
        Guid bobId, carolId;
        await using (var db = host.CreateDbContext())
        {
            bobId = await db.Agents.Where(a => a.UserName == "bob").Select(a => a.Id).SingleAsync();
            carolId = await db.Agents.Where(a => a.UserName == "carol").Select(a => a.Id).SingleAsync();
            var contact = new Contact { Id = Guid.NewGuid(), CreatedAt = now };
            db.Contacts.Add(contact);
            void Rated(Guid agent, int? rating, TimeSpan ago) => db.Conversations.Add(new Conversation
            {
                Id = Guid.NewGuid(), ContactId = contact.Id, Status = ConversationStatus.Closed, Skill = "pre-sale", LastInstanceId = "webchat",
                LastExternalId = "v", CreatedAt = now - ago, LastMessageAt = now - ago, ClosedAt = now - ago, ClosedByAgentId = agent,
                SurveyRating = rating, SurveyRatedAt = rating is null ? null : now - ago,
            });
            Rated(bobId, 5, TimeSpan.FromDays(1));
            Rated(bobId, 4, TimeSpan.FromDays(2));
            Rated(bobId, 4, TimeSpan.FromDays(3));
            Rated(bobId, 1, TimeSpan.FromDays(40)); // outside 30 days
            Rated(bobId, null, TimeSpan.FromDays(1)); // not rated
            Rated(carolId, 2, TimeSpan.FromDays(5));
            await db.SaveChangesAsync();
        }

        var response = await alice.Http.GetAsync("/api/supervisor/satisfaction?days=30");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(4, body.GetProperty("count").GetInt32());
        var agents = body.GetProperty("agents").EnumerateArray().ToList();
        var bobRow = agents.Single(a => a.GetProperty("userName").GetString() == "bob");
        Assert.Equal(3, bobRow.GetProperty("count").GetInt32());
        Assert.Equal(4.33, bobRow.GetProperty("average").GetDouble());
        Assert.Equal([0, 0, 0, 2, 1], Enumerable.Range(1, 5).Select(n => bobRow.GetProperty("distribution").GetProperty(n.ToString()).GetInt32()));
        var carolRow = agents.Single(a => a.GetProperty("userName").GetString() == "carol");
        Assert.Equal(1, carolRow.GetProperty("count").GetInt32());
        Assert.Equal(2, carolRow.GetProperty("average").GetDouble());

        var wider = JsonDocument.Parse(await alice.Http.GetStringAsync("/api/supervisor/satisfaction?days=60")).RootElement;
        Assert.Equal(5, wider.GetProperty("count").GetInt32());
        var defaults = JsonDocument.Parse(await alice.Http.GetStringAsync("/api/supervisor/satisfaction")).RootElement;
        Assert.Equal(30, defaults.GetProperty("days").GetInt32());

        foreach (var bad in new[] { "days=0", "days=abc", "days=400", "days=-1", "days=3&days=4" })
        {
            var refused = await alice.Http.GetAsync("/api/supervisor/satisfaction?" + bad);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("days", JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        }

        Assert.Equal(HttpStatusCode.Forbidden, (await bob.Http.GetAsync("/api/supervisor/satisfaction")).StatusCode);
    }
}
