using ChatGateway.Abstractions;
using ChatGateway.Testing.Conformance;
using ChatGateway.Testing.MailServers;

using MimeKit;

using static ChatGateway.Plugins.Email.Tests.EmailTestInstance;

namespace ChatGateway.Plugins.Email.Tests;

/// <summary>A customer's mail through real Postfix and Dovecot to the gateway's sink, and the shop's reply back to the customer's mailbox.</summary>
public sealed class EmailRoundTripTests(MailServersFixture fixture) : IClassFixture<MailServersFixture>
{
    private static readonly byte[] Png = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R', 1, 2, 3, 4, 5, 6, 7, 8, 9];

    [Fact]
    public async Task CustomerMail_WithHtmlFilesAndTrustedAuthentication_ReachesTheSinkIntact()
    {
        var ct = TestContext.Current.CancellationToken;
        var servers = fixture.Require();
        var shop = servers.CreateMailbox("shop", MailServers.ShopDomain);
        var buyer = servers.CreateMailbox("buyer", MailServers.BuyerDomain);
        using var store = new TempFolderAttachmentStore();
        await using var channel = await RunningEmailChannel.StartAsync(SettingsFor(servers, shop), ct, attachments: store);

        var pdf = "%PDF-1.4\n% invoice 1001\n"u8.ToArray().Concat(Enumerable.Range(0, 300_000).Select(i => (byte)(i % 251))).ToArray();
        var mail = new MimeMessage();
        mail.From.Add(new MailboxAddress("Li Wei 李伟", buyer));
        mail.To.Add(MailboxAddress.Parse(shop.Replace("@", "+conv-42_x@", StringComparison.Ordinal)));
        mail.Subject = "订单 1001: the blue dress is too small";
        mail.MessageId = "order-1001-question@buyer.test";
        mail.InReplyTo = "earlier-1@shop.test";
        mail.References.Add("first-0@shop.test");
        mail.References.Add("earlier-1@shop.test");
        mail.Headers.Add("Authentication-Results", $"{MailServers.AuthServId}; spf=pass smtp.mailfrom={buyer}; dkim=pass header.d=buyer.test; dmarc=pass header.from=buyer.test");
        var body = new BodyBuilder
        {
            TextBody = "Hello,\nthe dress is too small. Can I exchange it?\n\n> On Monday you wrote:\n> Thanks for your order",
            HtmlBody = "<p>Hello,<br>the dress is <b>too small</b>. Can I exchange it?</p><img src=\"cid:photo1@buyer.test\"><blockquote>Thanks for your order</blockquote>",
        };
        var inline = body.LinkedResources.Add("photo.png", Png, new ContentType("image", "png"));
        inline.ContentId = "photo1@buyer.test";
        body.Attachments.Add("invoice.pdf", pdf, new ContentType("application", "pdf"));
        mail.Body = body.ToMessageBody();

        await SendAsync(servers, mail, ct);
        await EventuallyAsync(() => channel.Inbound.Accepted.Count == 1, "the customer's mail in the sink", ct, servers: servers);

        var message = channel.Inbound.Accepted[0];
        Assert.Equal("order-1001-question@buyer.test", message.ProviderMessageId);
        Assert.Equal("订单 1001: the blue dress is too small", message.Subject);
        Assert.Equal(buyer, message.Sender.ExternalId);
        Assert.Equal(buyer, message.Sender.Email);
        Assert.Equal("Li Wei 李伟", message.Sender.DisplayName);
        Assert.Null(message.Sender.DeclaredEmail);
        Assert.StartsWith("Hello,\nthe dress is too small. Can I exchange it?", message.Text, StringComparison.Ordinal);
        Assert.Contains("> Thanks for your order", message.Text, StringComparison.Ordinal);
        Assert.Contains("<b>too small</b>", message.Html, StringComparison.Ordinal);
        Assert.Contains("cid:photo1@buyer.test", message.Html, StringComparison.Ordinal);
        Assert.False(message.AutoSubmitted);
        Assert.NotNull(message.SentAt);

        var thread = Assert.IsType<MessageThread>(message.Thread);
        Assert.Equal("earlier-1@shop.test", thread.InReplyTo);
        Assert.Equal(["first-0@shop.test", "earlier-1@shop.test"], thread.References);
        Assert.Equal("conv-42_x", thread.ReplyToken);
        Assert.True(thread.SeparateConversations);

        var files = Assert.IsType<IReadOnlyList<MessageAttachment>>(message.Attachments, exactMatch: false);
        Assert.Equal(2, files.Count);
        var photo = Assert.Single(files, f => f.ContentId is not null);
        Assert.Equal("photo1@buyer.test", photo.ContentId);
        Assert.Equal("image/png", photo.ContentType);
        Assert.Equal(Png, store.ReadAllBytes(photo.Id));
        var invoice = Assert.Single(files, f => f.FileName == "invoice.pdf");
        Assert.Equal("application/pdf", invoice.ContentType);
        Assert.Equal(pdf.Length, invoice.Size);
        Assert.Equal(pdf, store.ReadAllBytes(invoice.Id));
    }

    [Fact]
    public async Task Reply_FromTheChannel_ArrivesInTheCustomersMailboxInTheThread_AndTheirAnswerComesBackWithTheToken()
    {
        var ct = TestContext.Current.CancellationToken;
        var servers = fixture.Require();
        var shop = servers.CreateMailbox("shop", MailServers.ShopDomain);
        var buyer = servers.CreateMailbox("buyer", MailServers.BuyerDomain);
        using var store = new TempFolderAttachmentStore();
        await using var channel = await RunningEmailChannel.StartAsync(SettingsFor(servers, shop), ct, attachments: store);
        var label = await store.AddAsync(Png, "return-label.png", "image/png", ct);

        var reply = new OutboundMessage
        {
            MessageId = Guid.NewGuid(),
            ConversationId = Guid.NewGuid(),
            Recipient = new ChannelRecipient { ExternalId = buyer, Email = buyer },
            Text = "Hi Li Wei,\nof course: print the label and send it back.\n<script>alert(1)</script>",
            Subject = "订单 1001: the blue dress is too small",
            Thread = new MessageThread { InReplyTo = "order-1001-question@buyer.test", References = ["first-0@shop.test"] },
            ReplyToken = "conv-42_x",
            AgentName = "Anna",
            Attachments = [label],
            CreatedAt = DateTimeOffset.UtcNow,
        };

        var result = await channel.Sender.SendAsync(reply, ct);

        Assert.Equal(DeliveryOutcome.Sent, result.Outcome);
        Assert.Equal($"{reply.MessageId:N}@shop.test", result.ProviderMessageId);
        var inbox = await ReadInboxAsync(servers, buyer, 1, ct);
        Assert.True(inbox.Count == 1, servers.Logs());
        var received = inbox[0];
        Assert.Equal(shop, received.From.Mailboxes.Single().Address);
        Assert.Equal("Demo Shop", received.From.Mailboxes.Single().Name);
        Assert.Equal(buyer, received.To.Mailboxes.Single().Address);
        Assert.Equal("Re: 订单 1001: the blue dress is too small", received.Subject);
        Assert.Equal(result.ProviderMessageId, received.MessageId);
        Assert.Equal("order-1001-question@buyer.test", received.InReplyTo);
        Assert.Equal(["first-0@shop.test", "order-1001-question@buyer.test"], received.References);
        Assert.Equal(shop.Replace("@", "+conv-42_x@", StringComparison.Ordinal), received.ReplyTo.Mailboxes.Single().Address);
        Assert.Null(received.Headers[HeaderId.AutoSubmitted]);
        Assert.Contains("of course: print the label", received.TextBody, StringComparison.Ordinal);
        Assert.Contains("-- \nDemo Shop customer care", received.TextBody!.Replace("\r\n", "\n"), StringComparison.Ordinal);
        Assert.Contains("Hi Li Wei,<br>", received.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", received.HtmlBody, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", received.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("Demo Shop customer care", received.HtmlBody, StringComparison.Ordinal);
        var file = Assert.IsType<MimePart>(Assert.Single(received.Attachments));
        Assert.Equal("return-label.png", file.FileName);
        using (var bytes = new MemoryStream())
        {
            await file.Content!.DecodeToAsync(bytes, ct);
            Assert.Equal(Png, bytes.ToArray());
        }

        // The customer answers in their mail program: to the Reply-To, in the thread.
        var answer = CustomerMail(buyer, received.ReplyTo.Mailboxes.Single().Address, "Re: " + received.Subject, "Thanks, sent it today.");
        answer.InReplyTo = received.MessageId;
        answer.References.AddRange(received.References);
        answer.References.Add(received.MessageId!);
        await SendAsync(servers, answer, ct);

        await EventuallyAsync(() => channel.Inbound.Accepted.Count == 1, "the customer's answer", ct, servers: servers);
        var back = channel.Inbound.Accepted[0];
        Assert.Equal(result.ProviderMessageId, back.Thread!.InReplyTo);
        Assert.Equal("conv-42_x", back.Thread.ReplyToken);
        Assert.Equal(result.ProviderMessageId, back.Thread.References[^1]);
    }

    [Fact]
    public async Task FollowUp_WithoutAnAgentOrSubject_IsMarkedAutoGeneratedWithTheShopsNameAsSubject()
    {
        var ct = TestContext.Current.CancellationToken;
        var servers = fixture.Require();
        var shop = servers.CreateMailbox("shop", MailServers.ShopDomain);
        var buyer = servers.CreateMailbox("buyer", MailServers.BuyerDomain);
        await using var channel = await RunningEmailChannel.StartAsync(SettingsFor(servers, shop), ct, startPoller: false);

        var result = await channel.Sender.SendAsync(new OutboundMessage
        {
            MessageId = Guid.NewGuid(),
            ConversationId = Guid.NewGuid(),
            Recipient = new ChannelRecipient { ExternalId = buyer },
            Text = "Your order 1001 has shipped.",
            CreatedAt = DateTimeOffset.UtcNow,
        }, ct);

        Assert.Equal(DeliveryOutcome.Sent, result.Outcome);
        var received = Assert.Single(await ReadInboxAsync(servers, buyer, 1, ct));
        Assert.Equal("Demo Shop", received.Subject);
        Assert.Equal("auto-generated", received.Headers[HeaderId.AutoSubmitted]);
        Assert.Null(received.InReplyTo);
        Assert.Empty(received.ReplyTo);
    }

    [Fact]
    public async Task Send_ToAnAddressTheServerRefuses_IsAPermanentFailureWithTheServersText()
    {
        var ct = TestContext.Current.CancellationToken;
        var servers = fixture.Require();
        var shop = servers.CreateMailbox("shop", MailServers.ShopDomain);
        await using var channel = await RunningEmailChannel.StartAsync(SettingsFor(servers, shop), ct, startPoller: false);

        var result = await channel.Sender.SendAsync(Outbound(MailServers.RefusedRecipient), ct);

        Assert.Equal(DeliveryOutcome.PermanentFailure, result.Outcome);
        Assert.Contains("550", result.Error, StringComparison.Ordinal);
        Assert.Contains("no such customer", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_WhileTheSmtpServerIsUnreachable_IsTransientAndReadinessSaysSo()
    {
        var ct = TestContext.Current.CancellationToken;
        var servers = fixture.Require();
        var shop = servers.CreateMailbox("shop", MailServers.ShopDomain);
        var settings = SettingsFor(servers, shop);
        settings["Smtp:Port"] = "9";
        await using var channel = await RunningEmailChannel.StartAsync(settings, ct, startPoller: false);

        var result = await channel.Sender.SendAsync(Outbound("someone@buyer.test"), ct);

        Assert.Equal(DeliveryOutcome.TransientFailure, result.Outcome);
        Assert.Contains("127.0.0.1:9 unreachable", result.Error, StringComparison.Ordinal);
        Assert.Contains("Smtp server 127.0.0.1:9 unreachable", await channel.Readiness.CheckAsync(ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readiness_WrongImapPassword_IsNotReadyNamingTheLogin_AndReadyWithTheRightOne()
    {
        var ct = TestContext.Current.CancellationToken;
        var servers = fixture.Require();
        var shop = servers.CreateMailbox("shop", MailServers.ShopDomain);
        var settings = SettingsFor(servers, shop);
        settings["Imap:Password"] = "wrong";
        await using (var wrong = await RunningEmailChannel.StartAsync(settings, ct))
        {
            string? reason = null;
            await EventuallyAsync(() => (reason = wrong.Readiness.CheckAsync(ct).GetAwaiter().GetResult()) is not null, "readiness to fail", ct);
            Assert.Equal($"Imap login to 127.0.0.1:{servers.ImapPort} failed (check Imap:UserName and Imap:Password)", reason);
        }

        await using var right = await RunningEmailChannel.StartAsync(SettingsFor(servers, shop), ct);
        Assert.Null(await right.Readiness.CheckAsync(ct));
    }

    [Fact]
    public async Task Readiness_AFolderThatDoesNotExist_IsNamed()
    {
        var ct = TestContext.Current.CancellationToken;
        var servers = fixture.Require();
        var shop = servers.CreateMailbox("shop", MailServers.ShopDomain);
        var settings = SettingsFor(servers, shop);
        settings["Imap:Folders:0"] = "Orders";
        await using var channel = await RunningEmailChannel.StartAsync(settings, ct);

        string? reason = null;
        await EventuallyAsync(() => (reason = channel.Readiness.CheckAsync(ct).GetAwaiter().GetResult()) is not null, "readiness to fail", ct);

        Assert.Equal("Imap folder 'Orders' does not exist (check Imap:Folders)", reason);
    }

    [Fact]
    public async Task Imap_OverTls_ReadsWithThePinnedSelfSignedCertificate_AndRefusesItWithoutThePin()
    {
        var ct = TestContext.Current.CancellationToken;
        var servers = fixture.Require();
        var shop = servers.CreateMailbox("shop", MailServers.ShopDomain);
        var buyer = servers.CreateMailbox("buyer", MailServers.BuyerDomain);
        var settings = SettingsFor(servers, shop);
        settings["Imap:Port"] = servers.ImapsPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Imap:Security"] = "Tls";

        await using (var unpinned = await RunningEmailChannel.StartAsync(settings, ct))
        {
            string? reason = null;
            await EventuallyAsync(() => (reason = unpinned.Readiness.CheckAsync(ct).GetAwaiter().GetResult()) is not null, "readiness to fail", ct);
            Assert.Equal($"Imap TLS handshake with 127.0.0.1:{servers.ImapsPort} failed (check Imap:Security and the server's certificate)", reason);
        }

        settings["Imap:CertificateFingerprint"] = string.Join(':', servers.CertificateFingerprint.Chunk(2).Select(pair => new string(pair))).ToUpperInvariant();
        await using var pinned = await RunningEmailChannel.StartAsync(settings, ct);
        await SendAsync(servers, CustomerMail(buyer, shop, "over TLS", "hello"), ct);

        await EventuallyAsync(() => pinned.Inbound.Accepted.Count == 1, "the mail read over TLS", ct, servers: servers);
        Assert.Null(await pinned.Readiness.CheckAsync(ct));
    }

    private static OutboundMessage Outbound(string to) => new()
    {
        MessageId = Guid.NewGuid(),
        ConversationId = Guid.NewGuid(),
        Recipient = new ChannelRecipient { ExternalId = to, Email = to },
        Text = "Hello",
        AgentName = "Anna",
        CreatedAt = DateTimeOffset.UtcNow,
    };
}
