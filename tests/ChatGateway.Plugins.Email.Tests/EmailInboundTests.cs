using System.Text;

using ChatGateway.Abstractions;
using ChatGateway.Testing.Conformance;
using ChatGateway.Testing.MailServers;

using MailKit;

using MimeKit;

using static ChatGateway.Plugins.Email.Tests.EmailTestInstance;

namespace ChatGateway.Plugins.Email.Tests;

/// <summary>What the mailbox brings besides plain customer mail, read by the poller from real Postfix and Dovecot: bounces, auto-replies, forged senders, hostile HTML, broken mail.</summary>
public sealed class EmailInboundTests(MailServersFixture fixture) : IClassFixture<MailServersFixture>
{
    [Fact]
    public async Task Bounce_OfAReplyToAnUnknownAddress_ReportsTheReplyFailedWithTheServersReason_AndNoCustomerMessage()
    {
        var ct = TestContext.Current.CancellationToken;
        var servers = fixture.Require();
        var shop = servers.CreateMailbox("shop", MailServers.ShopDomain);
        await using var channel = await RunningEmailChannel.StartAsync(SettingsFor(servers, shop), ct);

        var sent = await channel.Sender.SendAsync(new OutboundMessage
        {
            MessageId = Guid.NewGuid(),
            ConversationId = Guid.NewGuid(),
            Recipient = new ChannelRecipient { ExternalId = "nobody@buyer.test" },
            Text = "Your parcel is on its way.",
            AgentName = "Anna",
            CreatedAt = DateTimeOffset.UtcNow,
        }, ct);
        Assert.Equal(DeliveryOutcome.Sent, sent.Outcome);

        await EventuallyAsync(() => channel.Statuses.Updates.Count == 1, "the bounce's delivery report", ct, servers: servers);
        var update = channel.Statuses.Updates[0];
        Assert.Equal(sent.ProviderMessageId, update.ProviderMessageId);
        Assert.Equal(DeliveryStatus.Failed, update.Status);
        Assert.StartsWith("5.1.1 ", update.Error, StringComparison.Ordinal);
        Assert.Contains("User doesn't exist", update.Error, StringComparison.Ordinal);
        Assert.Empty(channel.Inbound.Accepted);
    }

    [Fact]
    public async Task AutoReplies_AreMarkedAutoSubmitted_AndACustomersMailIsNot()
    {
        var ct = TestContext.Current.CancellationToken;
        var servers = fixture.Require();
        var shop = servers.CreateMailbox("shop", MailServers.ShopDomain);
        var buyer = servers.CreateMailbox("buyer", MailServers.BuyerDomain);
        await using var channel = await RunningEmailChannel.StartAsync(SettingsFor(servers, shop), ct);

        var autoReplied = CustomerMail(buyer, shop, "Re: your order", "I am away until Monday.");
        autoReplied.Headers.Add(HeaderId.AutoSubmitted, "auto-replied");
        var outOfOffice = CustomerMail(buyer, shop, "Out of Office: your order", "Back on Monday.");
        var vacation = CustomerMail(buyer, shop, "Holiday", "Gone fishing.");
        vacation.Headers.Add("X-Autoreply", "yes");
        var bulk = CustomerMail(buyer, shop, "Newsletter", "Our offers.");
        bulk.Headers.Add(HeaderId.Precedence, "bulk");
        var person = CustomerMail(buyer, shop, "Out of stock?", "Is the blue dress out of stock?");
        person.Headers.Add(HeaderId.AutoSubmitted, "no");

        foreach (var mail in new[] { autoReplied, outOfOffice, vacation, bulk, person })
        {
            await SendAsync(servers, mail, ct);
        }

        await EventuallyAsync(() => channel.Inbound.Accepted.Count == 5, "five mails", ct, servers: servers);
        var bySubject = channel.Inbound.Accepted.ToDictionary(m => m.Subject!);
        Assert.True(bySubject["Re: your order"].AutoSubmitted);
        Assert.True(bySubject["Out of Office: your order"].AutoSubmitted);
        Assert.True(bySubject["Holiday"].AutoSubmitted);
        Assert.True(bySubject["Newsletter"].AutoSubmitted);
        Assert.False(bySubject["Out of stock?"].AutoSubmitted);
    }

    [Fact]
    public async Task Sender_WithoutTrustedAuthentication_IsOnlyDeclared()
    {
        var ct = TestContext.Current.CancellationToken;
        var servers = fixture.Require();
        var shop = servers.CreateMailbox("shop", MailServers.ShopDomain);
        var buyer = servers.CreateMailbox("buyer", MailServers.BuyerDomain);
        await using var channel = await RunningEmailChannel.StartAsync(SettingsFor(servers, shop), ct);

        var plain = CustomerMail(buyer, shop, "no header", "hi");
        var otherServer = CustomerMail(buyer, shop, "other authserv-id", "hi");
        otherServer.Headers.Add("Authentication-Results", $"evil.example; dmarc=pass header.from={MailServers.BuyerDomain}");
        var forgedBelow = CustomerMail(buyer, shop, "forged below a failing one", "hi");
        // The receiving server's verdict is on top; a sender's forged "pass" further down must not count.
        forgedBelow.Headers.Add("Authentication-Results", $"{MailServers.AuthServId}; spf=fail smtp.mailfrom={buyer}; dmarc=fail header.from={MailServers.BuyerDomain}");
        forgedBelow.Headers.Add("Authentication-Results", $"{MailServers.AuthServId}; dmarc=pass header.from={MailServers.BuyerDomain}");
        var unaligned = CustomerMail(buyer, shop, "dkim of another domain", "hi");
        unaligned.Headers.Add("Authentication-Results", $"{MailServers.AuthServId}; dkim=pass header.d=mailer.example; spf=pass smtp.mailfrom=bounce@mailer.example");
        var spfAligned = CustomerMail(buyer, shop, "spf aligned", "hi", fromName: "Li Wei");
        spfAligned.Headers.Add("Authentication-Results", $"{MailServers.AuthServId}; spf=pass smtp.mailfrom={buyer}");

        foreach (var mail in new[] { plain, otherServer, forgedBelow, unaligned, spfAligned })
        {
            await SendAsync(servers, mail, ct);
        }

        await EventuallyAsync(() => channel.Inbound.Accepted.Count == 5, "five mails", ct, servers: servers);
        foreach (var message in channel.Inbound.Accepted.Where(m => m.Subject != "spf aligned"))
        {
            Assert.Null(message.Sender.Email);
            Assert.Null(message.Sender.DisplayName);
            Assert.Equal(buyer, message.Sender.DeclaredEmail);
            Assert.Equal("Li Wei", message.Sender.DeclaredName);
            Assert.Equal(buyer, message.Sender.ExternalId);
        }

        var verified = channel.Inbound.Accepted.Single(m => m.Subject == "spf aligned");
        Assert.Equal(buyer, verified.Sender.Email);
        Assert.Equal("Li Wei", verified.Sender.DisplayName);
    }

    [Fact]
    public async Task HtmlWithScriptsAndRemoteImages_IsPassedAsHtml_AndItsTextHasNoScript()
    {
        var ct = TestContext.Current.CancellationToken;
        var servers = fixture.Require();
        var shop = servers.CreateMailbox("shop", MailServers.ShopDomain);
        var buyer = servers.CreateMailbox("buyer", MailServers.BuyerDomain);
        await using var channel = await RunningEmailChannel.StartAsync(SettingsFor(servers, shop), ct);

        const string html = "<html><head><style>p{color:red}</style><script>steal(document.cookie)</script></head>"
            + "<body><p onclick=\"steal()\">Where is my parcel?</p><img src=\"https://tracker.example/pixel.gif\"><script>alert('x')</script><ul><li>order 1001</li></ul></body></html>";
        var mail = new MimeMessage();
        mail.From.Add(MailboxAddress.Parse(buyer));
        mail.To.Add(MailboxAddress.Parse(shop));
        mail.Subject = "HTML only";
        mail.Body = new TextPart("html") { Text = html };
        await SendAsync(servers, mail, ct);

        await EventuallyAsync(() => channel.Inbound.Accepted.Count == 1, "the HTML mail", ct, servers: servers);
        var message = channel.Inbound.Accepted[0];
        Assert.Contains("<script>alert('x')</script>", message.Html, StringComparison.Ordinal);
        Assert.Contains("https://tracker.example/pixel.gif", message.Html, StringComparison.Ordinal);
        Assert.Equal("Where is my parcel?\n\n- order 1001", message.Text);
        Assert.DoesNotContain("steal", message.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("color", message.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadMail_BetweenTwoGoodOnes_IsSkippedOrKeptWithAReason_AndBothGoodOnesArrive()
    {
        var ct = TestContext.Current.CancellationToken;
        var servers = fixture.Require();
        var shop = servers.CreateMailbox("shop", MailServers.ShopDomain);
        var buyer = servers.CreateMailbox("buyer", MailServers.BuyerDomain);
        using var store = new TempFolderAttachmentStore(maxBytes: 1024 * 1024);
        var inbound = new RecordingInboundSink { Deduplicate = true, RejectWhen = m => m.Subject == "refuse me" ? "message refused by the gateway" : null };
        var state = new InMemoryChannelState();
        await using var channel = await RunningEmailChannel.StartAsync(SettingsFor(servers, shop), ct, attachments: store, state: state, inbound: inbound, startPoller: false);

        await SendAsync(servers, CustomerMail(buyer, shop, "good one", "first"), ct);

        // The shop's own address writing to itself (a loop).
        await SendAsync(servers, CustomerMail(shop, shop, "looped back", "loop"), ct);

        // Malformed MIME: a multipart whose boundary never comes, with a broken base64 part.
        await SendRawAsync(servers, buyer, shop, Encoding.ASCII.GetBytes(
            $"From: {buyer}\r\nTo: {shop}\r\nSubject: broken mime\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"nothere\"\r\n\r\n"
            + "--wrong\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n"), ct);

        // Nested 30 levels deep, the text at the bottom.
        var deep = new StringBuilder($"From: {buyer}\r\nTo: {shop}\r\nSubject: deep\r\nMIME-Version: 1.0\r\n");
        for (var i = 0; i < 30; i++)
        {
            deep.Append($"Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n");
        }

        deep.Append("Content-Type: text/plain\r\n\r\nat the bottom\r\n");
        for (var i = 29; i >= 0; i--)
        {
            deep.Append($"--b{i}--\r\n");
        }

        await SendRawAsync(servers, buyer, shop, Encoding.ASCII.GetBytes(deep.ToString()), ct);

        // A subject in a charset nobody knows.
        await SendRawAsync(servers, buyer, shop, Encoding.ASCII.GetBytes(
            $"From: {buyer}\r\nTo: {shop}\r\nSubject: =?x-unknown-martian?B?SGVsbG8=?= order\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=x-unknown-martian\r\n\r\nbody in martian\r\n"), ct);

        // A program that says it is a photo, and a file larger than the store takes.
        var files = new BodyBuilder { TextBody = "see the files" };
        files.Attachments.Add("photo.png", [(byte)'M', (byte)'Z', 0x90, 0, 3, 0, 0, 0, 4, 0], new ContentType("image", "png"));
        files.Attachments.Add("video.mp4", new byte[3 * 1024 * 1024], new ContentType("video", "mp4"));
        files.Attachments.Add("ok.txt", Encoding.UTF8.GetBytes("kept"), new ContentType("text", "plain"));
        var withFiles = CustomerMail(buyer, shop, "files", "");
        withFiles.Body = files.ToMessageBody();
        await SendAsync(servers, withFiles, ct);

        // An HTML bomb: 2 MB of nested markup.
        var bomb = new StringBuilder("<html><body>");
        bomb.Insert(bomb.Length, "<div>", 100_000).Append("deep text").Insert(bomb.Length, "</div>", 100_000);
        bomb.Append(new string('x', 500_000)).Append("</body></html>");
        var bombMail = CustomerMail(buyer, shop, "bomb", "");
        bombMail.Body = new TextPart("html") { Text = bomb.ToString() };
        await SendAsync(servers, bombMail, ct);

        // One the gateway refuses.
        await SendAsync(servers, CustomerMail(buyer, shop, "refuse me", "too much"), ct);

        await SendAsync(servers, CustomerMail(buyer, shop, "good two", "second"), ct);
        await ReadInboxAsync(servers, shop, 9, ct);

        await channel.StartPollerAsync(ct);

        await EventuallyAsync(() => inbound.Accepted.Any(m => m.Subject == "good two"), "the second good mail", ct, TimeSpan.FromSeconds(60), servers);
        await EventuallyAsync(() => state.Values.GetValueOrDefault("imap:INBOX:cursor")?.EndsWith(":9", StringComparison.Ordinal) == true, "the cursor past all nine", ct, servers: servers);
        var bySubject = inbound.Accepted.ToDictionary(m => m.Subject ?? "(none)");

        Assert.Equal("first", bySubject["good one"].Text);
        Assert.Equal("second", bySubject["good two"].Text);
        Assert.DoesNotContain("looped back", bySubject.Keys);
        Assert.DoesNotContain("refuse me", bySubject.Keys);
        Assert.Contains("nested deeper than 20 levels", bySubject["deep"].Text, StringComparison.Ordinal);
        Assert.Contains("order", bySubject.Keys.Single(k => k.EndsWith("order", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains("body in martian", bySubject.Single(p => p.Key.EndsWith("order", StringComparison.Ordinal)).Value.Text, StringComparison.Ordinal);

        var kept = bySubject["files"];
        Assert.Contains("[The attachment \"photo.png\" was not kept: type application/x-msdownload is not accepted.]", kept.Text, StringComparison.Ordinal);
        Assert.Contains("[The attachment \"video.mp4\" was not kept: larger than 1 MB.]", kept.Text, StringComparison.Ordinal);
        var txt = Assert.Single(kept.Attachments!);
        Assert.Equal("ok.txt", txt.FileName);
        Assert.Equal("kept"u8.ToArray(), store.ReadAllBytes(txt.Id));

        var bombMessage = bySubject["bomb"];
        Assert.Null(bombMessage.Html);
        Assert.Contains("The HTML version of this email is larger than", bombMessage.Text, StringComparison.Ordinal);
        Assert.Contains("deep text", bombMessage.Text, StringComparison.Ordinal);
        Assert.True(bombMessage.Text.Length <= 9_000);

        // Whatever became of the broken one, the poller went past it; what was skipped is recorded with its reason.
        var skipped = state.Values["imap:INBOX:skipped"];
        Assert.Contains("it comes from the channel's own address (a loop)", skipped, StringComparison.Ordinal);
        Assert.Contains("message refused by the gateway", skipped, StringComparison.Ordinal);
        Assert.DoesNotContain(buyer, skipped, StringComparison.Ordinal);
    }
}
