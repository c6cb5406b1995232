using System.Net;
using System.Net.Http.Json;
using System.Text;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Replies;

/// <summary>The agent sees which channels a reply can take and picks one; the default is where the customer wrote last.</summary>
public sealed class ReplyChannelTests
{
    [Fact]
    public async Task Conversation_CustomerOnWebChatAndSms_ListsBothChannels_TheLatestMessagesOneByDefault()
    {
        await using var customer = await TwoChannelCustomer.StartAsync();
        await using var alice = await customer.Host.SignInAsync("alice");
        await using var visitor = await Visitor.ArriveAsync(customer.Host, connect: false);
        var (conversationId, webChat, sms) = await customer.ChatThenTextAsync(visitor, alice);

        // What the customer typed is never a channel: a declared phone and email on the contact.
        var contactId = await customer.ContactOfAsync(conversationId);
        await using (var db = customer.Host.CreateDbContext())
        {
            await db.Contacts.Where(c => c.Id == contactId)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.DeclaredPhone, "+15550100999").SetProperty(c => c.DeclaredEmail, "typed@example.com"));
        }

        var conversation = await TwoChannelCustomer.GetAsync(alice, conversationId);

        Assert.NotNull(conversation.ReplyChannels);
        Assert.Equal(
            [(webChat, "webchat", "webchat", "Web chat", false), (sms, "sms-main", "sms", "SMS " + TwoChannelCustomer.Phone, true)],
            conversation.ReplyChannels.Select(c => (c.Id, c.ChannelInstanceId, c.ChannelType, c.Label, c.IsDefault)).OrderBy(c => c.ChannelInstanceId == "sms-main"));
        Assert.DoesNotContain(conversation.ReplyChannels, c => c.Label.Contains("+15550100999") || c.Label.Contains("typed@"));

        // The customer writes on the web chat again: the default follows.
        await visitor.SendOkAsync("actually, M is fine");
        await alice.NextMessageAsync(m => m.Text == "actually, M is fine");
        conversation = await TwoChannelCustomer.GetAsync(alice, conversationId);
        Assert.Equal(webChat, Assert.Single(conversation.ReplyChannels!, c => c.IsDefault).Id);
    }

    [Fact]
    public async Task Reply_ChannelChosen_GoesOutOnThatChannel()
    {
        await using var customer = await TwoChannelCustomer.StartAsync();
        await using var alice = await customer.Host.SignInAsync("alice");
        await using var visitor = await Visitor.ArriveAsync(customer.Host);
        var (conversationId, webChat, _) = await customer.ChatThenTextAsync(visitor, alice);

        // The customer texted last, but the agent picks the web chat.
        var response = await alice.Http.PostAsJsonAsync($"/api/conversations/{conversationId}/messages", new { text = "M and L are both in stock", via = webChat });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var reply = (await response.Content.ReadFromJsonAsync<MessageDto>())!;
        Assert.Equal("webchat", reply.ChannelInstanceId);

        var frame = await visitor.NextFrameAsync(f => f.GetProperty("type").GetString() == "message");
        Assert.Equal("M and L are both in stock", frame.GetProperty("message").GetProperty("text").GetString());
        await alice.NextStatusAsync(m => m.Id == reply.Id && m.Status == "delivered");

        // Without a choice it goes where the customer wrote last: SMS.
        await alice.ReplyAsync(conversationId, "shall I reserve one?");
        Assert.Equal(TwoChannelCustomer.Phone, (await customer.Twilio.WaitForRequestAsync(r => r.Body == "shall I reserve one?", TimeSpan.FromSeconds(15))).To);
        Assert.DoesNotContain(customer.Twilio.Requests, r => r.Body == "M and L are both in stock");
    }

    [Fact]
    public async Task SmsReply_ContactWithAnotherNumber_GoesToTheNumberThatWroteIn()
    {
        // After a merge a contact may hold a second proven number: the reply addressed to the identity that
        // texted must reach that identity, never the contact's other number (it went there before).
        await using var customer = await TwoChannelCustomer.StartAsync();
        await using var alice = await customer.Host.SignInAsync("alice");
        await using var visitor = await Visitor.ArriveAsync(customer.Host, connect: false);
        var (conversationId, _, _) = await customer.ChatThenTextAsync(visitor, alice);
        var contactId = await customer.ContactOfAsync(conversationId);
        await using (var db = customer.Host.CreateDbContext())
        {
            var contact = await db.Contacts.SingleAsync(c => c.Id == contactId);
            contact.Phone = "+8613900000001";
            await db.SaveChangesAsync();
        }

        await alice.ReplyAsync(conversationId, "your parcel left today");

        var sent = await customer.Twilio.WaitForRequestAsync(r => r.Body == "your parcel left today", TimeSpan.FromSeconds(15));
        Assert.Equal(TwoChannelCustomer.Phone, sent.To);
    }

    [Fact]
    public async Task Reply_ViaNotAmongTheContactsChannels_Returns400_AndStoresNothing()
    {
        await using var customer = await TwoChannelCustomer.StartAsync();
        await using var alice = await customer.Host.SignInAsync("alice");
        await using var visitor = await Visitor.ArriveAsync(customer.Host, connect: false);
        var (conversationId, _, _) = await customer.ChatThenTextAsync(visitor, alice);

        // Another customer's identity (a stranger's web chat) is not this customer's channel.
        await using var stranger = await Visitor.ArriveAsync(customer.Host, connect: false);
        var strangerConversation = (await stranger.SendOkAsync("hello, anyone?")).GetProperty("conversationId").GetGuid();
        var strangerIdentity = await customer.IdentityAsync("webchat", await customer.WebChatVisitorIdAsync(await customer.ContactOfAsync(strangerConversation)));

        // Bad inputs tried: an unknown id, another contact's identity, an identity on a channel that is not running, and not a guid.
        var notRunning = await customer.AddIdentityAsync(await customer.ContactOfAsync(conversationId), "sms-retired", "+8613800138001");
        foreach (var body in new[]
        {
            $$"""{ "text": "hi", "via": "{{Guid.NewGuid()}}" }""",
            $$"""{ "text": "hi", "via": "{{strangerIdentity}}" }""",
            $$"""{ "text": "hi", "via": "{{notRunning}}" }""",
            """{ "text": "hi", "via": "sms-main" }""",
        })
        {
            var response = await alice.Http.PostAsync($"/api/conversations/{conversationId}/messages", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.False(string.IsNullOrEmpty((await response.Content.ReadFromJsonAsync<ChatGateway.Gateway.Web.ErrorDto>())!.Error));
        }

        await using var db = customer.Host.CreateDbContext();
        Assert.Equal(0, await db.Messages.CountAsync(m => m.Direction == MessageDirection.Out && m.ConversationId == conversationId));
        Assert.Empty(customer.Twilio.Requests);
    }
}
