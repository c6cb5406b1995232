using System.Net.Http.Json;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Rich;

/// <summary>
/// Threads on a channel that keeps them apart (email): a new thread is a conversation of its own, a reply joins its
/// thread's conversation whatever else the customer has open, the agent's reply answers in the thread, and nobody joins
/// another customer's conversation by quoting its ids. Bad inputs tried: a stranger quoting a customer's message ids, a
/// forged reply token, a reply to a closed conversation's thread.
/// </summary>
public sealed class ThreadTests
{
    [Fact]
    public async Task ANewThreadIsItsOwnConversation_AReplyJoinsItsThread_AndTheAgentsReplyAnswersInIt()
    {
        await using var channel = await RichChannel.StartAsync();
        await using var bob = await channel.Host.SignInAsync("bob");

        var first = await channel.SendAsync(new { id = "a1@buyer.test", from = "buyer@buyer.test", text = "hello, question one", subject = "Question one" });
        var second = await channel.SendAsync(new { id = "b1@buyer.test", from = "buyer@buyer.test", text = "hello, question two", subject = "Question two" });
        var one = first.GetProperty("conversationId").GetGuid();
        var two = second.GetProperty("conversationId").GetGuid();
        Assert.NotEqual(one, two);

        // A reply in thread one, while two is the customer's newest open conversation.
        var reply = await channel.SendAsync(new
        {
            id = "a2@buyer.test", from = "buyer@buyer.test", text = "more on question one", subject = "Re: Question one",
            inReplyTo = "a1@buyer.test", references = new[] { "a1@buyer.test" },
        });
        Assert.Equal(one, reply.GetProperty("conversationId").GetGuid());

        var assigned = new[] { await bob.NextAssignedAsync(), await bob.NextAssignedAsync() }.Single(c => c.Id == one);
        var answer = await bob.ReplyAsync(assigned.Id, "we will look into it");
        var sent = await channel.SentAsync(s => s.GetProperty("messageId").GetGuid() == answer.Id);
        Assert.Equal("Question one", sent.GetProperty("subject").GetString());
        Assert.Equal("a2@buyer.test", sent.GetProperty("inReplyTo").GetString());
        Assert.Equal(["a1@buyer.test", "a2@buyer.test"], sent.GetProperty("references").EnumerateArray().Select(r => r.GetString()));
        var token = sent.GetProperty("replyToken").GetString()!;
        Assert.Matches("^[a-z2-7]{42}$", token);

        // The customer answers the agent's reply (once it is recorded as sent, with its id): by its id, or (a mail program
        // that drops the headers) by the reply token.
        await bob.NextStatusAsync(m => m.Id == answer.Id && m.Status == "sent");
        var byId = await channel.SendAsync(new { id = "a3@buyer.test", from = "buyer@buyer.test", text = "thanks", inReplyTo = sent.GetProperty("providerMessageId").GetString() });
        Assert.Equal(one, byId.GetProperty("conversationId").GetGuid());
        var byToken = await channel.SendAsync(new { id = "a4@buyer.test", from = "buyer@buyer.test", text = "and one more thing", replyToken = token });
        Assert.Equal(one, byToken.GetProperty("conversationId").GetGuid());

        // A forged token (one letter changed) and a new thread: a conversation of their own.
        var forged = token[..^1] + (token[^1] == 'a' ? 'b' : 'a');
        var byForged = await channel.SendAsync(new { id = "c1@buyer.test", from = "buyer@buyer.test", text = "hello, another thing", replyToken = forged });
        Assert.NotEqual(one, byForged.GetProperty("conversationId").GetGuid());
        Assert.NotEqual(two, byForged.GetProperty("conversationId").GetGuid());

        var next = await channel.SentAsync(s => s.GetProperty("messageId").GetGuid() == answer.Id);
        Assert.Equal(sent.GetProperty("providerMessageId").GetString(), next.GetProperty("providerMessageId").GetString());
    }

    [Fact]
    public async Task AStrangerQuotingACustomersThreadIds_GetsAConversationOfTheirOwn_AndAReplyToAClosedThreadOpensANewOne()
    {
        await using var channel = await RichChannel.StartAsync();
        await using var bob = await channel.Host.SignInAsync("bob");
        var first = await channel.SendAsync(new { id = "t1@buyer.test", from = "buyer@buyer.test", text = "hello, my order", subject = "Order" });
        var conversation = first.GetProperty("conversationId").GetGuid();

        var stranger = await channel.SendAsync(new { id = "s1@evil.test", from = "someone@evil.test", text = "hello, me too", inReplyTo = "t1@buyer.test", references = new[] { "t1@buyer.test" } });
        Assert.NotEqual(conversation, stranger.GetProperty("conversationId").GetGuid());

        var assigned = await bob.NextAssignedAsync();
        var other = assigned.Id == conversation ? await bob.NextAssignedAsync() : assigned;
        Assert.NotEqual(conversation, other.Id);
        await bob.CloseAsync(conversation);
        var late = await channel.SendAsync(new { id = "t2@buyer.test", from = "buyer@buyer.test", text = "hello again", inReplyTo = "t1@buyer.test" });
        Assert.NotEqual(conversation, late.GetProperty("conversationId").GetGuid());
    }

    [Fact]
    public async Task AnOutOfOfficeAnswer_IsKeptAndShown_ButOpensNothingForRouting()
    {
        await using var channel = await RichChannel.StartAsync();
        await using var bob = await channel.Host.SignInAsync("bob");
        var auto = await channel.SendAsync(new { id = "o1@buyer.test", from = "buyer@buyer.test", text = "I am out of the office until Monday", subject = "Automatic reply", autoSubmitted = true });
        Assert.True(await bob.NothingAssignedWithinAsync(TimeSpan.FromSeconds(1)));
        await using (var db = channel.Host.CreateDbContext())
        {
            var conversation = await db.Conversations.SingleAsync(c => c.Id == auto.GetProperty("conversationId").GetGuid());
            Assert.Equal(ConversationStatus.Pending, conversation.Status);
            Assert.True((await db.MessageContents.SingleAsync()).AutoSubmitted);
        }

        // The customer's own next message in that thread opens it for an agent, who sees both, the machine's marked.
        await channel.SendAsync(new { id = "o2@buyer.test", from = "buyer@buyer.test", text = "hello, back now: one more question", inReplyTo = "o1@buyer.test" });
        var assigned = await bob.NextAssignedAsync();
        Assert.Equal(auto.GetProperty("conversationId").GetGuid(), assigned.Id);
        var messages = (await bob.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{assigned.Id}"))!.Messages!;
        Assert.Equal([true, false], messages.Select(m => m.AutoSubmitted));
    }
}
