using System.Net;
using System.Net.Http.Json;
using System.Text;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Tests.Rich;
using ChatGateway.Testing.MailServers;
using MimeKit;

namespace ChatGateway.Gateway.Tests.EndToEnd;

/// <summary>
/// Email through the whole gateway and real mail servers (Postfix delivering into Dovecot, started by the tests): a
/// customer's mail reaches the agent's desk, sanitised, with its files; the agent's reply with a file arrives in the
/// customer's mailbox in the thread; the customer's answer joins the conversation.
/// </summary>
public sealed class EmailEndToEndTests(MailServersFixture fixture) : IClassFixture<MailServersFixture>
{
    [Fact]
    public async Task CustomersMail_ReachesTheDesk_TheAgentsReplyWithAFileArrivesInTheThread_AndTheAnswerJoinsIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var servers = fixture.Require();
        var shop = servers.CreateMailbox("shop", MailServers.ShopDomain);
        var buyer = servers.CreateMailbox("buyer", MailServers.BuyerDomain);
        await using var host = await StartAsync(servers, shop);
        await using var bob = await host.SignInAsync("bob");

        var mail = new MimeMessage();
        mail.From.Add(new MailboxAddress("Li Wei 李伟", buyer));
        mail.To.Add(MailboxAddress.Parse(shop));
        mail.Subject = "尺码问题 a question about sizes";
        mail.MessageId = "sizes-1@buyer.test";
        mail.Headers.Add("Authentication-Results", $"{MailServers.AuthServId}; spf=pass smtp.mailfrom={buyer}; dkim=pass header.d=buyer.test; dmarc=pass header.from=buyer.test");
        var body = new BodyBuilder
        {
            TextBody = "Hello, which size should I take? Photo attached.",
            HtmlBody = "<p>Hello, which <b>size</b> should I take?</p><img src=\"cid:me@buyer.test\"><img src=\"https://tracker.example/o.gif\"><script>alert(1)</script>",
        };
        body.LinkedResources.Add("me.png", RichChannel.Png, new ContentType("image", "png")).ContentId = "me@buyer.test";
        mail.Body = body.ToMessageBody();
        await MailClient.SendAsync(servers, mail, ct);

        var assigned = await bob.NextAssignedAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("email", assigned.ChannelType);
        Assert.Equal(buyer, assigned.Contact.Email); // verified by the receiving server's Authentication-Results
        var conversation = (await bob.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{assigned.Id}", ct))!;
        Assert.Equal("尺码问题 a question about sizes", conversation.Subject);
        var message = Assert.Single(conversation.Messages!);
        var picture = Assert.Single(message.Attachments);
        Assert.Equal(RichChannel.Png, await bob.Http.GetByteArrayAsync(picture.Url, ct));
        Assert.Contains("<b>size</b>", message.Html);
        Assert.Contains($"/api/attachments/{picture.Id}", message.Html);
        Assert.DoesNotContain("tracker.example", message.Html);
        Assert.DoesNotContain("<script", message.Html);

        var chart = Encoding.ASCII.GetBytes("%PDF-1.4\n% size chart S M L\n%%EOF\n");
        var uploaded = await RichMessageTests.UploadAsync(bob.Http, assigned.Id, "size-chart.pdf", "application/pdf", chart, HttpStatusCode.Created);
        var reply = (await (await bob.Http.PostAsJsonAsync($"/api/conversations/{assigned.Id}/messages",
            new { text = "Hello Li Wei, M fits you; the chart is attached.", attachments = new[] { uploaded.GetProperty("id").GetString() } }, ct))
            .Content.ReadFromJsonAsync<MessageDto>(ct))!;
        await bob.NextStatusAsync(m => m.Id == reply.Id && m.Status == "sent", TimeSpan.FromSeconds(30));

        var received = Assert.Single(await MailClient.ReadInboxAsync(servers, buyer, 1, ct));
        Assert.Equal("Re: 尺码问题 a question about sizes", received.Subject);
        Assert.Equal("sizes-1@buyer.test", received.InReplyTo);
        Assert.Contains("sizes-1@buyer.test", received.References);
        Assert.Contains("M fits you", received.TextBody!);
        Assert.Contains("Demo Shop customer care", received.TextBody!);
        var file = Assert.Single(received.Attachments.OfType<MimePart>());
        Assert.Equal("size-chart.pdf", file.FileName);
        using (var bytes = new MemoryStream())
        {
            await file.Content!.DecodeToAsync(bytes, ct);
            Assert.Equal(chart, bytes.ToArray());
        }

        var replyTo = Assert.Single(received.ReplyTo.Mailboxes).Address;
        Assert.Matches(@"^shop-\d+\+[a-z2-7]{42}@shop\.test$", replyTo);

        // The customer answers the reply: it joins the same conversation, though it is a mail of its own.
        var answer = new MimeMessage();
        answer.From.Add(new MailboxAddress("Li Wei 李伟", buyer));
        answer.To.Add(MailboxAddress.Parse(replyTo));
        answer.Subject = received.Subject!;
        answer.MessageId = "sizes-2@buyer.test";
        answer.InReplyTo = received.MessageId!;
        answer.References.Add("sizes-1@buyer.test");
        answer.References.Add(received.MessageId!);
        answer.Headers.Add("Authentication-Results", $"{MailServers.AuthServId}; dmarc=pass header.from=buyer.test");
        answer.Body = new TextPart("plain") { Text = "Thanks! I will take M." };
        await MailClient.SendAsync(servers, answer, ct);
        var added = await bob.NextMessageAsync(m => m.Direction == "in" && m.Text.StartsWith("Thanks! I will take M.", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        Assert.Equal(assigned.Id, added.ConversationId);
    }

    [Fact]
    public async Task AReplyThatBounces_IsShownFailedWithTheMailServersReason_AndTheBounceIsNoCustomerMessage()
    {
        var ct = TestContext.Current.CancellationToken;
        var servers = fixture.Require();
        var shop = servers.CreateMailbox("shop", MailServers.ShopDomain);
        await using var host = await StartAsync(servers, shop);
        await using var bob = await host.SignInAsync("bob");

        // A customer whose mailbox does not exist (any more): the reply is accepted by SMTP, then bounced.
        var mail = new MimeMessage();
        mail.From.Add(MailboxAddress.Parse("gone@buyer.test"));
        mail.To.Add(MailboxAddress.Parse(shop));
        mail.Subject = "a question";
        mail.Body = new TextPart("plain") { Text = "hello, is the red one in stock?" };
        await MailClient.SendAsync(servers, mail, ct);
        var assigned = await bob.NextAssignedAsync(TimeSpan.FromSeconds(60));

        var reply = await bob.ReplyAsync(assigned.Id, "Yes, size S to L.");
        var failed = await bob.NextStatusAsync(m => m.Id == reply.Id && m.Status == "failed", TimeSpan.FromSeconds(60));
        Assert.Contains("5.1.1", failed.Message.Error);
        var conversation = (await bob.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{assigned.Id}", ct))!;
        Assert.Single(conversation.Messages!, m => m.Direction == "in");
        Assert.Single((await bob.Http.GetFromJsonAsync<List<MessageDto>>("/api/messages/failed", ct))!, m => m.Id == reply.Id);
    }

    /// <summary>A gateway with the email channel on the test mail servers' <paramref name="shop"/> mailbox (and the web chat).</summary>
    private static Task<GatewayHost> StartAsync(MailServers servers, string shop) => GatewayHost.StartAsync(
        pluginsJson: "{ \"plugins\": [\n" +
            """{ "id": "webchat", "plugin": "WebChat", "enabled": true, "settings": { "AllowedOrigins": ["https://shop.example.com"] } },""" + "\n" + $$"""
            { "id": "email", "plugin": "Email", "enabled": true, "settings": {
                "Address": "{{shop}}", "DisplayName": "Demo Shop", "Signature": "Demo Shop customer care", "ReplyAddressTokens": true,
                "TrustAuthenticationResults": "{{MailServers.AuthServId}}",
                "Imap": { "Host": "{{servers.Host}}", "Port": {{servers.ImapPort}}, "Security": "None", "UserName": "{{shop}}", "PollSeconds": 5 },
                "Smtp": { "Host": "{{servers.Host}}", "Port": {{servers.SmtpPort}}, "Security": "None" } } }
            """ + "\n] }",
        // The mailbox password is a secret: configuration, never plugins.json.
        settings: new Dictionary<string, string?> { ["Channels:email:Imap:Password"] = MailServers.PasswordOf(shop) });
}
