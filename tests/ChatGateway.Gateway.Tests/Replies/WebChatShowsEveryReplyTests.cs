using System.Net.Http.Json;
using System.Text.Json;
using ChatGateway.Gateway.Tests.Infrastructure;

namespace ChatGateway.Gateway.Tests.Replies;

/// <summary>The web chat shows every reply of its conversation, whichever channel delivered it, and only to those who took part.</summary>
public sealed class WebChatShowsEveryReplyTests
{
    private static bool IsMessage(JsonElement frame) => frame.GetProperty("type").GetString() == "message";

    [Fact]
    public async Task SmsReply_ReachesTheVisitorWhoTookPart_LiveAndInTheirHistory_MarkedAsSms()
    {
        await using var customer = await TwoChannelCustomer.StartAsync();
        await using var alice = await customer.Host.SignInAsync("alice");
        await using var visitor = await Visitor.ArriveAsync(customer.Host);
        var (conversationId, _, _) = await customer.ChatThenTextAsync(visitor, alice);

        // The customer texted last: the reply goes out by SMS.
        var reply = await alice.ReplyAsync(conversationId, "L ships tomorrow");
        Assert.Equal("sms-main", reply.ChannelInstanceId);
        await customer.Twilio.WaitForRequestAsync(r => r.Body == "L ships tomorrow", TimeSpan.FromSeconds(15));

        // The open web chat shows it too, live.
        var frame = await visitor.NextFrameAsync(IsMessage);
        Assert.Equal(conversationId, frame.GetProperty("conversationId").GetGuid());
        Assert.Equal(reply.Id, frame.GetProperty("message").GetProperty("messageId").GetGuid());
        Assert.Equal("L ships tomorrow", frame.GetProperty("message").GetProperty("text").GetString());
        Assert.Equal("sms", frame.GetProperty("message").GetProperty("sentVia").GetString());

        // And after a reload: the visitor's own message and the SMS reply, not what the customer texted.
        var history = await visitor.Http.GetFromJsonAsync<JsonElement>("/channels/webchat/conversation");
        Assert.Equal(conversationId, history.GetProperty("conversationId").GetGuid());
        Assert.Equal(
            ["in:do you have this jacket in M?:", "out:L ships tomorrow:sms"],
            history.GetProperty("messages").EnumerateArray().Select(m =>
                $"{m.GetProperty("direction").GetString()}:{m.GetProperty("text").GetString()}:{(m.TryGetProperty("sentVia", out var via) ? via.GetString() : null)}"));
    }

    [Fact]
    public async Task SmsReply_NeverReachesAVisitorWhoDidNotTakePart()
    {
        await using var customer = await TwoChannelCustomer.StartAsync();
        await using var alice = await customer.Host.SignInAsync("alice");

        // The contact's SMS conversation; a web chat identity of the same contact that never wrote in it; a stranger.
        await using var bystander = await Visitor.ArriveAsync(customer.Host);
        var bystanderConversation = (await bystander.SendOkAsync("an old question")).GetProperty("conversationId").GetGuid();
        await alice.NextAssignedAsync();
        await alice.CloseAsync(bystanderConversation);
        var contactId = await customer.ContactOfAsync(bystanderConversation);
        await customer.AddIdentityAsync(contactId, "sms-main", TwoChannelCustomer.Phone);
        await using var stranger = await Visitor.ArriveAsync(customer.Host);
        await customer.TextAsync("SM-only-1", "is the red one in stock?");
        var smsConversation = await alice.NextAssignedAsync();
        Assert.NotEqual(bystanderConversation, smsConversation.Id);
        Assert.Equal(contactId, smsConversation.Contact.Id);

        // Bad cases tried: the same contact's visitor in another conversation, another customer's visitor.
        await alice.ReplyAsync(smsConversation.Id, "it arrives today");
        await customer.Twilio.WaitForRequestAsync(r => r.Body == "it arrives today", TimeSpan.FromSeconds(15));
        await Assert.ThrowsAsync<TimeoutException>(() => bystander.NextFrameAsync(f => IsMessage(f) && f.ToString().Contains("arrives today"), TimeSpan.FromSeconds(2)));
        await Assert.ThrowsAsync<TimeoutException>(() => stranger.NextFrameAsync(f => IsMessage(f) && f.ToString().Contains("arrives today"), TimeSpan.FromMilliseconds(200)));

        // Nor in the bystander's history.
        var history = await bystander.Http.GetFromJsonAsync<JsonElement>("/channels/webchat/conversation");
        Assert.Equal(bystanderConversation, history.GetProperty("conversationId").GetGuid());
        Assert.DoesNotContain(history.GetProperty("messages").EnumerateArray(), m => m.GetProperty("text").GetString()!.Contains("arrives today"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await bystander.Http.GetAsync($"/channels/webchat/conversations/{smsConversation.Id}")).StatusCode);
    }
}
