using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Tests.Rich;
using Microsoft.Extensions.Time.Testing;

namespace ChatGateway.Gateway.Tests.Chats;

/// <summary>
/// The contract's chat parts through the gateway, as a LINE-like channel uses them (the Chat test channel): group
/// chats, reply contexts, content a channel cannot show, contact profiles, webhooks carrying several events. Bad
/// inputs tried: an event of blank text among good ones, a chat without an id, unsupported content without a kind, a
/// reply context of 1,001 characters, a profile of an unknown customer, a profile whose picture is a PDF, a language
/// that is not a tag.
/// </summary>
public sealed class ChatContractTests
{
    private static string? ReplyContextOf(JsonElement sent) =>
        sent.GetProperty("replyContext").ValueKind == JsonValueKind.String ? sent.GetProperty("replyContext").GetString() : null;

    [Fact]
    public async Task GroupChat_MembersWriteInOneConversationOfTheGroup_AgentsSeeWhoSpoke_AndTheAnswerGoesToTheGroup()
    {
        await using var channel = await ChatChannel.StartAsync();
        await using var bob = await channel.Host.SignInAsync("bob");
        var group = new { id = "Cgroup1", title = "团购群 Group buy" };

        var first = await channel.EventsAsync(new { id = "g-1", from = "Umember1", name = "Mei", text = "hello, is the red dress in stock?", chat = group });
        var conversationId = first[0].GetProperty("conversationId").GetGuid();
        var assigned = await bob.NextAssignedAsync();
        Assert.Equal(conversationId, assigned.Id);
        // The second member's verified phone proves who they are, not who the group is: it joins nothing.
        var second = await channel.EventsAsync(new { id = "g-2", from = "Umember2", name = "Ken", phone = "+85291234567", text = "me too, size M", chat = group });
        Assert.Equal(conversationId, second[0].GetProperty("conversationId").GetGuid());

        var conversation = (await bob.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{conversationId}"))!;
        Assert.Equal("团购群 Group buy", conversation.Contact.DisplayName);
        Assert.Null(conversation.Contact.Phone);
        var speakers = conversation.Messages!.Where(m => m.Direction == "in").Select(m => (m.Speaker!.Id, m.Speaker.Name)).ToList();
        Assert.Equal([("Umember1", "Mei"), ("Umember2", "Ken")], speakers);

        await bob.ReplyAsync(conversationId, "Both in stock!");
        var sent = await channel.SentAsync(s => s.GetProperty("text").GetString() == "Both in stock!");
        Assert.Equal("Cgroup1", sent.GetProperty("to").GetString());
    }

    [Fact]
    public async Task ReplyContext_IsHandedToTheFirstAnswerOnly_WhileValid()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var channel = await ChatChannel.StartAsync(clock);
        await using var bob = await channel.Host.SignInAsync("bob");

        var posted = await channel.EventsAsync(new { id = "r-1", from = "Ubuyer", text = "hi, do you ship to Taipei?", replyToken = "token-1", tokenSeconds = 60 });
        var conversationId = posted[0].GetProperty("conversationId").GetGuid();
        await bob.NextAssignedAsync();

        await bob.ReplyAsync(conversationId, "Yes, we do.");
        var answer = await channel.SentAsync(s => s.GetProperty("text").GetString() == "Yes, we do.");
        Assert.Equal("token-1", ReplyContextOf(answer));

        // Single use: the next answer goes the normal way.
        await bob.ReplyAsync(conversationId, "Delivery takes 3 days.");
        Assert.Null(ReplyContextOf(await channel.SentAsync(s => s.GetProperty("text").GetString() == "Delivery takes 3 days.")));

        // A new token, expired by the time the agent answers: not handed.
        await channel.EventsAsync(new { id = "r-2", from = "Ubuyer", text = "and to Kaohsiung?", replyToken = "token-2", tokenSeconds = 60 });
        clock.Advance(TimeSpan.FromMinutes(2));
        await bob.ReplyAsync(conversationId, "Kaohsiung too.");
        Assert.Null(ReplyContextOf(await channel.SentAsync(s => s.GetProperty("text").GetString() == "Kaohsiung too.")));

        // A window (not single use) serves every answer within it.
        await channel.EventsAsync(new { id = "r-3", from = "Ubuyer", text = "thanks!", replyToken = "window-3", tokenSeconds = 600, tokenReusable = true });
        await bob.ReplyAsync(conversationId, "You're welcome.");
        await bob.ReplyAsync(conversationId, "Anything else?");
        Assert.Equal("window-3", ReplyContextOf(await channel.SentAsync(s => s.GetProperty("text").GetString() == "You're welcome.")));
        Assert.Equal("window-3", ReplyContextOf(await channel.SentAsync(s => s.GetProperty("text").GetString() == "Anything else?")));
    }

    [Fact]
    public async Task FilesOnAChannelThatOnlyReceivesThem_ComeIn_AndAReplyWithOneIsRefusedWithTheReason_KeepingTheToken()
    {
        await using var channel = await ChatChannel.StartAsync();
        await using var bob = await channel.Host.SignInAsync("bob");
        var posted = await channel.EventsAsync(new { id = "f-1", from = "Ufiles", text = "what size is this?", replyToken = "token-f" });
        var conversationId = posted[0].GetProperty("conversationId").GetGuid();
        await bob.NextAssignedAsync();

        var uploaded = await RichMessageTests.UploadAsync(bob.Http, conversationId, "chart.png", "image/png", RichChannel.Png, HttpStatusCode.Created);
        var refused = await bob.Http.PostAsJsonAsync($"/api/conversations/{conversationId}/messages", new { text = "our size chart", attachments = new[] { uploaded.GetProperty("id").GetString() } });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("takes files from customers but sends none", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());

        // Nothing went out, so the reply token is still there for the answer that can go.
        await bob.ReplyAsync(conversationId, "Size M fits 170 cm.");
        Assert.Equal("token-f", ReplyContextOf(await channel.SentAsync(s => s.GetProperty("text").GetString() == "Size M fits 170 cm.")));
        Assert.Single(await channel.SentAsync());
    }

    [Fact]
    public async Task ReplyWindow_TheDeskSeesWhenItCloses_AndAnAnswerAfterItIsRefusedUntilTheCustomerWritesAgain()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var channel = await ChatChannel.StartAsync(clock);
        await using var bob = await channel.Host.SignInAsync("bob");
        var posted = await channel.EventsAsync(new { id = "w-1", from = "Uwindow", text = "is the blue one back in stock?" });
        var conversationId = posted[0].GetProperty("conversationId").GetGuid();
        await bob.NextAssignedAsync();
        var wrote = clock.GetUtcNow();

        var window = (await bob.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{conversationId}"))!.ReplyChannels!.Single().Window!;
        Assert.True(window.Open);
        Assert.Equal(24, window.Hours);
        Assert.InRange(window.ClosesAt!.Value, wrote.AddHours(24).AddSeconds(-5), wrote.AddHours(24).AddSeconds(5));
        await bob.ReplyAsync(conversationId, "Yes, since Monday.");

        clock.Advance(TimeSpan.FromHours(25));
        // A day later the agent signs in again (sessions end), the conversation still theirs.
        await using var later = await channel.Host.SignInAsync("bob", online: false);
        window = (await later.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{conversationId}"))!.ReplyChannels!.Single().Window!;
        Assert.False(window.Open);
        var refused = await later.Http.PostAsJsonAsync($"/api/conversations/{conversationId}/messages", new { text = "Still interested?" });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("only within 24 hours of the customer's last message", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());

        // The customer writes again: the window opens again, and the answer goes.
        await channel.EventsAsync(new { id = "w-2", from = "Uwindow", text = "sorry, I was away. Yes please" });
        await later.ReplyAsync(conversationId, "Reserved for you.");
        await channel.SentAsync(s => s.GetProperty("text").GetString() == "Reserved for you.");
        Assert.DoesNotContain(await channel.SentAsync(), s => s.GetProperty("text").GetString() == "Still interested?");
    }

    [Fact]
    public async Task Sticker_TheChannelCannotShow_ReachesTheAgentAsSuch()
    {
        await using var channel = await ChatChannel.StartAsync();
        await using var bob = await channel.Host.SignInAsync("bob");

        var posted = await channel.EventsAsync(new { id = "s-1", from = "Ubuyer", text = "", unsupported = new { kind = "Sticker", summary = "OK, happy" } });
        var conversationId = posted[0].GetProperty("conversationId").GetGuid();
        await bob.NextAssignedAsync();

        var conversation = (await bob.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{conversationId}"))!;
        var message = Assert.Single(conversation.Messages!, m => m.Direction == "in");
        Assert.Equal(new UnsupportedDto("sticker", "OK, happy"), message.Unsupported);
        Assert.Equal("[sticker: OK, happy]", message.Text);
    }

    [Fact]
    public async Task Webhook_WithSeveralEvents_StoresTheGoodOnes_AndSaysWhichWasRefused()
    {
        await using var channel = await ChatChannel.StartAsync();

        var items = await channel.EventsAsync(
            new { id = "b-1", from = "Ua", text = "first" },
            new { id = "b-2", from = "Ub", text = "   " },
            new { id = "b-3", from = "Uc", text = "third" },
            new { id = "b-4", from = "Ud", text = "", chat = new { id = " " }, unsupported = new { kind = "sticker" } },
            new { id = "b-5", from = "Ue", text = "", unsupported = new { kind = "" } },
            new { id = "b-6", from = "Uf", text = "token", replyToken = new string('x', 1001) });

        Assert.Equal([true, false, true, false, false, false], items.Select(i => i.GetProperty("accepted").GetBoolean()));
        Assert.Contains("empty", items[1].GetProperty("refused").GetString());
        Assert.Contains("chat id", items[3].GetProperty("refused").GetString());
        Assert.Contains("kind", items[4].GetProperty("refused").GetString());
        Assert.Contains("reply context", items[5].GetProperty("refused").GetString());

        // Sent again whole (a provider's redelivery): the stored ones are duplicates, stored once.
        var again = await channel.EventsAsync(new { id = "b-1", from = "Ua", text = "first" }, new { id = "b-3", from = "Uc", text = "third" });
        Assert.All(again, i => Assert.True(i.GetProperty("duplicate").GetBoolean()));
        Assert.Equal(items[0].GetProperty("messageId").GetGuid(), again[0].GetProperty("messageId").GetGuid());
    }

    [Fact]
    public async Task Profile_NamesTheContact_AndItsPictureIsShownOnlyToTheirAgent()
    {
        await using var channel = await ChatChannel.StartAsync();
        await using var bob = await channel.Host.SignInAsync("bob");
        await using var carol = await channel.Host.SignInAsync("carol", online: false);

        var posted = await channel.EventsAsync(new { id = "p-1", from = "Uprofile", text = "hello there, a question about sizes" });
        var conversationId = posted[0].GetProperty("conversationId").GetGuid();
        await bob.NextAssignedAsync();

        Assert.Equal(HttpStatusCode.NoContent, await channel.ProfileAsync(new { externalId = "Uprofile", name = "林小姐", language = "zh-TW", avatarBase64 = Convert.ToBase64String(RichChannel.Png) }));
        Assert.Equal(HttpStatusCode.NotFound, await channel.ProfileAsync(new { externalId = "Unobody", name = "Nobody" }));
        Assert.Equal(HttpStatusCode.BadRequest, await channel.ProfileAsync(new { externalId = "Uprofile", avatarBase64 = Convert.ToBase64String("%PDF-1.4\n%%EOF\n"u8.ToArray()) }));
        Assert.Equal(HttpStatusCode.BadRequest, await channel.ProfileAsync(new { externalId = "Uprofile", language = "not a language" }));

        var conversation = (await bob.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{conversationId}"))!;
        Assert.Equal("林小姐", conversation.Contact.DisplayName);
        var avatar = conversation.Contact.AvatarUrl;
        Assert.NotNull(avatar);
        Assert.Equal(RichChannel.Png, await bob.Http.GetByteArrayAsync(avatar));
        Assert.Equal(HttpStatusCode.NotFound, (await carol.Http.GetAsync(avatar)).StatusCode);

        // A later name from the platform does not replace the one the contact has.
        Assert.Equal(HttpStatusCode.NoContent, await channel.ProfileAsync(new { externalId = "Uprofile", name = "Lin" }));
        conversation = (await bob.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{conversationId}"))!;
        Assert.Equal("林小姐", conversation.Contact.DisplayName);
    }
}
