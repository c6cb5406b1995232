using System.Net;
using System.Net.Http.Json;
using System.Text;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Replies;

/// <summary>A reply the provider refuses: the agent retries it on its channel or sends it on another of the customer's.</summary>
public sealed class FailedReplyTests
{
    [Fact]
    public async Task FailedSmsReply_SentViaWebChat_ReachesTheVisitorsSocket_AndLeavesTheFailedList()
    {
        await using var customer = await TwoChannelCustomer.StartAsync();
        await using var alice = await customer.Host.SignInAsync("alice");
        await using var visitor = await Visitor.ArriveAsync(customer.Host);
        var (conversationId, webChat, _) = await customer.ChatThenTextAsync(visitor, alice);

        customer.Twilio.FailNext(1, 400, 21211, "The 'To' number is not a valid phone number.");
        var reply = await alice.ReplyAsync(conversationId, "your parcel ships today");
        var failed = await alice.NextStatusAsync(m => m.Id == reply.Id && m.Status == "failed");
        Assert.Contains("21211", failed.Message.Error);

        var response = await alice.Http.PostAsJsonAsync($"/api/messages/{reply.Id}/resend", new { via = webChat });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var resent = (await response.Content.ReadFromJsonAsync<MessageDto>())!;
        Assert.NotEqual(reply.Id, resent.Id);
        Assert.Equal("webchat", resent.ChannelInstanceId);

        var frame = await visitor.NextFrameAsync(f => f.GetProperty("type").GetString() == "message");
        Assert.Equal("your parcel ships today", frame.GetProperty("message").GetProperty("text").GetString());
        Assert.Equal(resent.Id, frame.GetProperty("message").GetProperty("messageId").GetGuid());

        // The failed one is marked, keeps its reason, and is no longer a dead letter to act on.
        var marked = await alice.NextStatusAsync(m => m.Id == reply.Id && m.Status == "resent");
        Assert.Contains("21211", marked.Message.Error);
        Assert.Empty((await alice.Http.GetFromJsonAsync<List<MessageDto>>("/api/messages/failed"))!);
        Assert.Single(customer.Twilio.Requests, r => r.Body == "your parcel ships today"); // the SMS was not sent again
    }

    [Fact]
    public async Task Retry_FailedReply_SendsItAgainOnTheSameChannel()
    {
        await using var customer = await TwoChannelCustomer.StartAsync();
        await using var alice = await customer.Host.SignInAsync("alice");
        await using var visitor = await Visitor.ArriveAsync(customer.Host, connect: false);
        var (conversationId, _, _) = await customer.ChatThenTextAsync(visitor, alice);

        customer.Twilio.FailNext(1, 400, 21610, "Attempt to send to unsubscribed recipient");
        var reply = await alice.ReplyAsync(conversationId, "we can hold it for you");
        await alice.NextStatusAsync(m => m.Id == reply.Id && m.Status == "failed");

        var response = await alice.Http.PostAsync($"/api/messages/{reply.Id}/retry", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("pending", (await response.Content.ReadFromJsonAsync<MessageDto>())!.Status);

        var sent = await alice.NextStatusAsync(m => m.Id == reply.Id && m.Status == "sent");
        Assert.Null(sent.Message.Error);
        Assert.Equal(2, customer.Twilio.Requests.Count(r => r.Body == "we can hold it for you" && r.To == TwoChannelCustomer.Phone));
    }

    [Fact]
    public async Task RetryOrResend_OfAReplyNotFailedNotYoursOrToNoChannelOfTheCustomers_IsRefused_AndChangesNothing()
    {
        await using var customer = await TwoChannelCustomer.StartAsync();
        await using var alice = await customer.Host.SignInAsync("alice");
        await using var bob = await customer.Host.SignInAsync("bob", online: false);
        await using var visitor = await Visitor.ArriveAsync(customer.Host, connect: false);
        var (conversationId, webChat, sms) = await customer.ChatThenTextAsync(visitor, alice);
        await using var stranger = await Visitor.ArriveAsync(customer.Host, connect: false);
        var strangerConversation = (await stranger.SendOkAsync("hello, anyone?")).GetProperty("conversationId").GetGuid();
        var strangerIdentity = await customer.IdentityAsync("webchat", await customer.WebChatVisitorIdAsync(await customer.ContactOfAsync(strangerConversation)));

        var delivered = await alice.ReplyAsync(conversationId, "this one goes through");
        await alice.NextStatusAsync(m => m.Id == delivered.Id && m.Status == "sent");
        customer.Twilio.FailNext(1, 400, 21211);
        var failed = await alice.ReplyAsync(conversationId, "this one is refused");
        await alice.NextStatusAsync(m => m.Id == failed.Id && m.Status == "failed");
        var requestsBefore = customer.Twilio.Requests.Count;

        async Task<HttpStatusCode> PostAsync(AgentSession who, string path, string? json = null) =>
            (await who.Http.PostAsync(path, json is null ? null : new StringContent(json, Encoding.UTF8, "application/json"))).StatusCode;

        // Bad inputs tried: a sent reply (409), an unknown id and another agent's reply (404, no probing),
        // no via, the channel it failed on, another customer's identity, an unknown identity, malformed JSON (400).
        Assert.Equal(HttpStatusCode.Conflict, await PostAsync(alice, $"/api/messages/{delivered.Id}/retry"));
        Assert.Equal(HttpStatusCode.Conflict, await PostAsync(alice, $"/api/messages/{delivered.Id}/resend", $$"""{ "via": "{{webChat}}" }"""));
        Assert.Equal(HttpStatusCode.NotFound, await PostAsync(alice, $"/api/messages/{Guid.NewGuid()}/retry"));
        Assert.Equal(HttpStatusCode.NotFound, await PostAsync(bob, $"/api/messages/{failed.Id}/retry"));
        Assert.Equal(HttpStatusCode.NotFound, await PostAsync(bob, $"/api/messages/{failed.Id}/resend", $$"""{ "via": "{{webChat}}" }"""));
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(alice, $"/api/messages/{failed.Id}/resend", "{}"));
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(alice, $"/api/messages/{failed.Id}/resend", $$"""{ "via": "{{sms}}" }"""));
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(alice, $"/api/messages/{failed.Id}/resend", $$"""{ "via": "{{strangerIdentity}}" }"""));
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(alice, $"/api/messages/{failed.Id}/resend", $$"""{ "via": "{{Guid.NewGuid()}}" }"""));
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(alice, $"/api/messages/{failed.Id}/resend", """{ "via": """));
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(alice, $"/api/messages/{failed.Id}/resend"));

        await using (var db = customer.Host.CreateDbContext())
        {
            var stored = await db.Messages.AsNoTracking().Where(m => m.ConversationId == conversationId && m.Direction == MessageDirection.Out).ToListAsync();
            Assert.Equal(2, stored.Count);
            Assert.Equal(MessageStatus.Failed, stored.Single(m => m.Id == failed.Id).Status);
            Assert.Equal(MessageStatus.Sent, stored.Single(m => m.Id == delivered.Id).Status);
        }

        // Once sent again elsewhere it is no longer failed: neither retried nor resent a second time.
        Assert.Equal(HttpStatusCode.Accepted, await PostAsync(alice, $"/api/messages/{failed.Id}/resend", $$"""{ "via": "{{webChat}}" }"""));
        Assert.Equal(HttpStatusCode.Conflict, await PostAsync(alice, $"/api/messages/{failed.Id}/retry"));
        Assert.Equal(HttpStatusCode.Conflict, await PostAsync(alice, $"/api/messages/{failed.Id}/resend", $$"""{ "via": "{{webChat}}" }"""));
        Assert.Equal(requestsBefore, customer.Twilio.Requests.Count);
    }
}
