using System.Net.Http.Json;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Chats;

/// <summary>
/// What a messaging channel tells beyond the text, through the gateway (the Chat test channel): where the customer came
/// from (a deep link's payload, an ad), a file the channel could not download, the language the platform reports, a
/// provider's Retry-After, and a follow-up's kind handed to the channel. Bad inputs tried: an origin whose link is
/// <c>javascript:</c>, an origin without a kind, a language that is not a tag.
/// </summary>
public sealed class ChannelContextTests
{
    [Fact]
    public async Task Origin_OfTheCustomersMessage_IsShownWithItAndAsTheConversationsContext_WithOnlyWebLinksKept()
    {
        await using var channel = await ChatChannel.StartAsync();
        await using var bob = await channel.Host.SignInAsync("bob");

        var posted = await channel.EventsAsync(new { id = "o-1", from = "Ubuyer", text = "/start promo42", origin = new { kind = "Deep-Link", reference = "promo42", url = "javascript:alert(1)" } });
        var conversationId = posted[0].GetProperty("conversationId").GetGuid();
        var assigned = await bob.NextAssignedAsync();
        Assert.Equal(new OriginDto("deep-link", "promo42", null, null), assigned.Messages!.Single().Origin);

        await channel.EventsAsync(new { id = "o-2", from = "Ubuyer", text = "is this one in stock?", origin = new { kind = "ad", reference = "120211", url = "https://fb.me/ad/120211", title = "红裙 Red dress -20%" } });
        await channel.EventsAsync(new { id = "o-3", from = "Ubuyer", text = "size M please" });
        var conversation = (await bob.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{conversationId}"))!;
        var ad = new OriginDto("ad", "120211", "https://fb.me/ad/120211", "红裙 Red dress -20%");
        Assert.Equal(ad, conversation.Origin);
        Assert.Equal([new OriginDto("deep-link", "promo42", null, null), ad, null], conversation.Messages!.Where(m => m.Direction == "in").Select(m => m.Origin));

        // An origin without a kind is refused with the reason; the message beside it in the same webhook is stored.
        var mixed = await channel.EventsAsync(
            new { id = "o-4", from = "Ubuyer", text = "hello?", origin = new { kind = " " } },
            new { id = "o-5", from = "Ubuyer", text = "hello again" });
        Assert.False(mixed[0].GetProperty("accepted").GetBoolean());
        Assert.Contains("origin needs a kind", mixed[0].GetProperty("refused").GetString());
        Assert.True(mixed[1].GetProperty("accepted").GetBoolean());
    }

    [Fact]
    public async Task FileTheChannelCouldNotDownload_IsStoredAsFailedWithTheReason_AndTheCaptionKept()
    {
        await using var channel = await ChatChannel.StartAsync();
        await using var bob = await channel.Host.SignInAsync("bob");

        var posted = await channel.EventsAsync(
            new { id = "f-1", from = "Ubuyer", text = "", unsupported = new { kind = "photo", summary = "could not be downloaded from the provider (HTTP 500)", failed = true } });
        var conversationId = posted[0].GetProperty("conversationId").GetGuid();
        await bob.NextAssignedAsync();
        await channel.EventsAsync(new { id = "f-2", from = "Ubuyer", text = "the scratch on the box", unsupported = new { kind = "photo", summary = "too large (25 MB)", failed = true } });

        var messages = (await bob.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{conversationId}"))!.Messages!.Where(m => m.Direction == "in").ToList();
        Assert.Equal(
            [("[photo: could not be downloaded from the provider (HTTP 500)]", true), ("the scratch on the box", true)],
            messages.Select(m => (m.Text, m.Unsupported!.Failed)));
        Assert.Equal("too large (25 MB)", messages[1].Unsupported!.Summary);
    }

    [Fact]
    public async Task LanguageThePlatformReports_RoutesWhereTheTextsLettersDoNotTell_ButNotAgainstTheScript()
    {
        await using var channel = await ChatChannel.StartAsync(settings: new Dictionary<string, string?>
        {
            // The refund rule only for Spanish speakers (as a shop with a Spanish after-sale team would have it).
            ["Routing:Rules:1:Languages:0"] = "es",
        });

        var spanish = (await channel.EventsAsync(new { id = "l-1", from = "Ues", text = "quiero un refund por favor", language = "es-ES" }))[0].GetProperty("conversationId").GetGuid();
        var unknown = (await channel.EventsAsync(new { id = "l-2", from = "Uxx", text = "I want a refund", language = "not a tag!" }))[0].GetProperty("conversationId").GetGuid();
        var chinese = (await channel.EventsAsync(new { id = "l-3", from = "Uzh", text = "我要退款", language = "es" }))[0].GetProperty("conversationId").GetGuid();

        await using var db = channel.Host.CreateDbContext();
        var stored = await db.Conversations.Where(c => c.Id == spanish || c.Id == unknown || c.Id == chinese).ToDictionaryAsync(c => c.Id);
        Assert.Equal(("after-sale", "es"), (stored[spanish].Skill, stored[spanish].Language));
        Assert.Contains("rule 'refund-return' matched 'refund' in language 'es'", stored[spanish].RoutingReason);
        // The shop's Latin-script language when the tag is not one; the script when it tells (Chinese characters): the
        // Spanish-only rule takes neither.
        Assert.Equal(("pre-sale", "en"), (stored[unknown].Skill, stored[unknown].Language));
        Assert.Equal(("pre-sale", "zh"), (stored[chinese].Skill, stored[chinese].Language));
    }

    [Fact]
    public async Task ProvidersRetryAfter_DelaysTheNextAttemptThatLong_NotTheShortBackoff()
    {
        await using var channel = await ChatChannel.StartAsync(settings: new Dictionary<string, string?> { ["Delivery:MaxBackoff"] = "00:10:00" });
        await using var bob = await channel.Host.SignInAsync("bob");
        var conversationId = (await channel.EventsAsync(new { id = "t-1", from = "Ubuyer", text = "hi" }))[0].GetProperty("conversationId").GetGuid();
        await bob.NextAssignedAsync();

        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await channel.Provider.PostAsJsonAsync($"/channels/{ChatChannel.Instance}/throttle", new { seconds = 120 })).StatusCode);
        var reply = await bob.ReplyAsync(conversationId, "Hello! How can I help?");

        Message? row = null;
        for (var i = 0; i < 200 && row is not { Attempts: 1, DeliveryOwner: null }; i++)
        {
            await Task.Delay(50);
            await using var db = channel.Host.CreateDbContext();
            row = await db.Messages.AsNoTracking().SingleAsync(m => m.Id == reply.Id);
        }

        // Pending with the reason, the next attempt two minutes on (the test host's own backoff starts at 0.1 s).
        Assert.Equal((MessageStatus.Pending, "rate limited by the provider"), (row!.Status, row.Error));
        Assert.InRange(row.NextAttemptAt!.Value - row.UpdatedAt!.Value, TimeSpan.FromSeconds(119), TimeSpan.FromSeconds(121));
        Assert.Empty(await channel.SentAsync());
    }

    [Fact]
    public async Task FollowUp_ReachesTheChannelWithItsKind_AndAnAgentsAnswerWithNone()
    {
        await using var channel = await ChatChannel.StartAsync();
        await using var bob = await channel.Host.SignInAsync("bob");
        var conversationId = (await channel.EventsAsync(new { id = "k-1", from = "Ubuyer", text = "thanks, got it" }))[0].GetProperty("conversationId").GetGuid();
        await bob.NextAssignedAsync();
        await bob.ReplyAsync(conversationId, "Enjoy!");

        var now = DateTimeOffset.UtcNow;
        await using (var db = channel.Host.CreateDbContext())
        {
            var conversation = await db.Conversations.SingleAsync(c => c.Id == conversationId);
            var id = Guid.CreateVersion7(now);
            db.FollowUps.Add(new FollowUp
            {
                Id = id, Kind = FollowUpKinds.ReviewRequest, Rule = "review", ContactId = conversation.ContactId, ConversationId = conversationId,
                DueAt = now, Channel = conversation.LastInstanceId, Status = FollowUpStatus.Sent, CreatedAt = now, DoneAt = now,
            });
            db.Messages.Add(new Message
            {
                Id = id, ConversationId = conversationId, InstanceId = conversation.LastInstanceId, ExternalId = conversation.LastExternalId,
                Direction = MessageDirection.Out, Text = "How do you like it? A review helps us.", Status = MessageStatus.Pending, NextAttemptAt = now, CreatedAt = now,
            });
            await db.SaveChangesAsync();
        }

        var review = await channel.SentAsync(s => s.GetProperty("text").GetString() == "How do you like it? A review helps us.");
        Assert.Equal("review-request", review.GetProperty("followUpKind").GetString());
        var answer = await channel.SentAsync(s => s.GetProperty("text").GetString() == "Enjoy!");
        Assert.Equal(System.Text.Json.JsonValueKind.Null, answer.GetProperty("followUpKind").ValueKind);
    }
}
