using System.Text;

using ChatGateway.Abstractions;
using ChatGateway.Plugins.Email.Inbound;

using MimeKit;

namespace ChatGateway.Plugins.Email.Tests;

/// <summary>The mapper alone, on mails built here or replayed from Mails/ (a real Postfix bounce).</summary>
public sealed class EmailMapperTests
{
    private static readonly EmailOptions Options = new()
    {
        Address = "support@shop.test",
        TrustAuthenticationResults = "mx.shop.test",
        Imap = new ImapOptions(),
        Smtp = new SmtpOptions(),
    };

    [Fact]
    public void Map_PostfixBounce_IsAFailureOfTheReturnedMessageWithStatusAndDiagnostic()
    {
        using var mail = MimeMessage.Load(EmailMapper.ParserOptions, Path.Combine(AppContext.BaseDirectory, "Mails", "postfix-bounce.eml"), TestContext.Current.CancellationToken);

        var mapped = EmailMapper.Map(mail, "raw", Options);

        Assert.Null(mapped.Message);
        var bounce = Assert.IsType<DeliveryStatusUpdate>(mapped.Bounce);
        Assert.Equal("out-1@shop.test", bounce.ProviderMessageId);
        Assert.Equal(DeliveryStatus.Failed, bounce.Status);
        Assert.Equal("5.1.1 smtp; 550 5.1.1 <nobody@buyer.test> User doesn't exist: nobody@buyer.test", bounce.Error);
    }

    [Fact]
    public void Map_DelayedDeliveryReport_IsSkippedNotAFailure()
    {
        using var mail = MimeMessage.Load(EmailMapper.ParserOptions, new MemoryStream(Encoding.ASCII.GetBytes(
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Mails", "postfix-bounce.eml")).Replace("Action: failed", "Action: delayed", StringComparison.Ordinal))), TestContext.Current.CancellationToken);

        var mapped = EmailMapper.Map(mail, "raw", Options);

        Assert.Null(mapped.Bounce);
        Assert.Null(mapped.Message);
        Assert.Equal("it is a delivery report (delayed), not a failure", mapped.SkipReason);
    }

    [Theory]
    [InlineData("mx.shop.test; dmarc=pass header.from=buyer.test", true)]
    [InlineData("mx.shop.test; dkim=pass header.d=buyer.test", true)]
    [InlineData("mx.shop.test; dkim=pass header.d=mail.buyer.test", true)]
    [InlineData("mx.shop.test; dkim=pass header.i=@buyer.test", true)]
    [InlineData("mx.shop.test; spf=pass smtp.mailfrom=bounces@buyer.test", true)]
    [InlineData("MX.SHOP.TEST; dmarc=pass header.from=buyer.test", true)]
    [InlineData("mx.shop.test; dmarc=pass header.from=other.test", false)]
    [InlineData("mx.shop.test; dkim=pass header.d=test", false)]
    [InlineData("mx.shop.test; dkim=pass header.d=evil.test", false)]
    [InlineData("mx.shop.test; spf=softfail smtp.mailfrom=buyer.test; dmarc=fail header.from=buyer.test", false)]
    [InlineData("mx.shop.test; none", false)]
    [InlineData("other.test; dmarc=pass header.from=buyer.test", false)]
    [InlineData("not an authentication result", false)]
    public void Map_AuthenticationResults_VerifyTheSenderOnlyWhenTrustedAndAligned(string header, bool verified)
    {
        var mail = Mail();
        mail.Headers.Add("Authentication-Results", header);

        var sender = EmailMapper.Map(mail, "raw", Options).Message!.Sender;

        Assert.Equal(verified ? "buyer@buyer.test" : null, sender.Email);
        Assert.Equal(verified ? null : "buyer@buyer.test", sender.DeclaredEmail);
        Assert.Equal(verified ? "Li Wei" : null, sender.DisplayName);
        Assert.Equal(verified ? null : "Li Wei", sender.DeclaredName);
        Assert.Equal("buyer@buyer.test", sender.ExternalId);
    }

    [Fact]
    public void Map_TrustAllSenders_VerifiesWithoutAHeader_AndExternalIdIsLowerCase()
    {
        var mail = Mail(from: "Buyer@Buyer.TEST");

        var sender = EmailMapper.Map(mail, "raw", Options with { TrustAllSenders = true }).Message!.Sender;

        Assert.Equal("buyer@buyer.test", sender.ExternalId);
        Assert.Equal("buyer@buyer.test", sender.Email);
    }

    [Fact]
    public void Map_Ids_AreNormalisedWithoutBrackets_AndAMailWithoutMessageIdTakesTheRawHash()
    {
        var mail = Mail();
        mail.Headers[HeaderId.MessageId] = " <abc@buyer.test> ";
        mail.Headers[HeaderId.InReplyTo] = "<q1@shop.test>";
        mail.Headers[HeaderId.References] = "<q0@shop.test>\r\n <q1@shop.test>";
        mail.To.Clear();
        mail.To.Add(MailboxAddress.Parse("Support+Conv_9-x@Shop.Test"));

        var message = EmailMapper.Map(mail, "raw-sha256:00", Options).Message!;

        Assert.Equal("abc@buyer.test", message.ProviderMessageId);
        Assert.Equal("q1@shop.test", message.Thread!.InReplyTo);
        Assert.Equal(["q0@shop.test", "q1@shop.test"], message.Thread.References);
        Assert.Equal("Conv_9-x", message.Thread.ReplyToken);
        Assert.True(message.Thread.SeparateConversations);

        mail.Headers.Remove(HeaderId.MessageId);
        Assert.Equal("raw-sha256:00", EmailMapper.Map(mail, "raw-sha256:00", Options).Message!.ProviderMessageId);
    }

    [Theory]
    [InlineData("other+tok@shop.test")]
    [InlineData("support+tok@evil.test")]
    [InlineData("support+t/k@shop.test")]
    [InlineData("support@shop.test")]
    public void Map_AddressesThatAreNotTheShopsPlusAddress_CarryNoReplyToken(string to)
    {
        var mail = Mail();
        mail.To.Clear();
        mail.To.Add(MailboxAddress.Parse(to));

        Assert.Null(EmailMapper.Map(mail, "raw", Options).Message!.Thread!.ReplyToken);
    }

    [Fact]
    public void Map_SubjectInGb2312_IsDecoded_AndAnUnknownCharsetDoesNotThrow()
    {
        var chinese = MimeMessage.Load(EmailMapper.ParserOptions, new MemoryStream(Encoding.ASCII.GetBytes(
            "From: buyer@buyer.test\r\nTo: support@shop.test\r\nSubject: =?GB2312?B?x+vOysv7uPbO0g==?=\r\nContent-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n\r\nxOO6ww==\r\n")), TestContext.Current.CancellationToken);
        var unknown = MimeMessage.Load(EmailMapper.ParserOptions, new MemoryStream(Encoding.ASCII.GetBytes(
            "From: buyer@buyer.test\r\nTo: support@shop.test\r\nSubject: =?x-martian?Q?hi?= there\r\nContent-Type: text/plain; charset=x-martian\r\n\r\nplain words\r\n")), TestContext.Current.CancellationToken);

        var decoded = EmailMapper.Map(chinese, "raw", Options).Message!;
        var fallback = EmailMapper.Map(unknown, "raw", Options).Message!;

        Assert.Equal("请问他个我", decoded.Subject);
        Assert.Equal("你好", decoded.Text);
        Assert.EndsWith("there", fallback.Subject, StringComparison.Ordinal);
        Assert.Equal("plain words", fallback.Text);
    }

    [Fact]
    public void Map_NoFrom_IsSkipped_AndTheShopsOwnAddressIsALoop()
    {
        var noFrom = Mail();
        noFrom.From.Clear();
        var own = Mail(from: "Support@Shop.Test");

        Assert.Equal("it has no From address", EmailMapper.Map(noFrom, "raw", Options).SkipReason);
        Assert.Equal("it comes from the channel's own address (a loop)", EmailMapper.Map(own, "raw", Options).SkipReason);
    }

    [Theory]
    [InlineData("Auto-Submitted", "auto-replied", true)]
    [InlineData("Auto-Submitted", "auto-generated; owner-email=x@y", true)]
    [InlineData("Auto-Submitted", "no", false)]
    [InlineData("Precedence", "junk", true)]
    [InlineData("Precedence", "list", true)]
    [InlineData("X-Autorespond", "yes", true)]
    [InlineData("X-Mailer", "Outlook", false)]
    public void Map_MachineHeaders_MarkAutoSubmitted(string header, string value, bool auto)
    {
        var mail = Mail();
        mail.Headers.Add(header, value);

        Assert.Equal(auto, EmailMapper.Map(mail, "raw", Options).Message!.AutoSubmitted);
    }

    [Theory]
    [InlineData("Automatic reply: order 1001", false, true)]
    [InlineData("自动回复: 订单", false, true)]
    [InlineData("Out of Office", true, false)]
    [InlineData("Is the shop out of office today?", false, false)]
    public void Map_OutOfOfficeSubjects_AreAutoSubmittedOutsideMailingLists(string subject, bool listId, bool auto)
    {
        var mail = Mail(subject: subject);
        if (listId)
        {
            mail.Headers.Add(HeaderId.ListId, "<news.buyer.test>");
        }

        Assert.Equal(auto, EmailMapper.Map(mail, "raw", Options).Message!.AutoSubmitted);
    }

    [Fact]
    public void ComposeText_LongBody_IsCutToTheLimitWithTheNotesKept()
    {
        var text = EmailMapper.ComposeText(new string('a', 20_000), ["[The attachment \"x.zip\" was not kept: larger than 25 MB.]"], "s", hasFiles: false, maxLength: 9_000);

        Assert.Equal(9_000, text.Length);
        Assert.Contains("[… cut: the email is longer; see its HTML version.]", text, StringComparison.Ordinal);
        Assert.EndsWith("[The attachment \"x.zip\" was not kept: larger than 25 MB.]", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ComposeText_EmptyBodyWithASubject_IsTheSubject()
    {
        Assert.Equal("Where is order 1001?", EmailMapper.ComposeText("  ", [], "Where is order 1001?", hasFiles: false, maxLength: 9_000));
        Assert.Equal("", EmailMapper.ComposeText("", [], "photo", hasFiles: true, maxLength: 9_000));
    }

    [Fact]
    public void Map_HtmlOnly_TextIsMadeFromItWithoutScriptsStylesOrTags()
    {
        var mail = Mail();
        mail.Body = new TextPart("html") { Text = "<style>.a{}</style><p>Hello <b>there</b></p><script>x()</script><div>line&nbsp;two &amp; more</div>" };

        var message = EmailMapper.Map(mail, "raw", Options).Message!;

        Assert.Equal("Hello there\n\nline two & more", message.Text);
        Assert.Contains("<script>x()</script>", message.Html, StringComparison.Ordinal);
    }

    private static MimeMessage Mail(string from = "buyer@buyer.test", string subject = "Question")
    {
        var mail = new MimeMessage();
        mail.From.Add(new MailboxAddress("Li Wei", from));
        mail.To.Add(MailboxAddress.Parse("support@shop.test"));
        mail.Subject = subject;
        mail.MessageId = "m1@buyer.test";
        mail.Body = new TextPart("plain") { Text = "hello" };
        return mail;
    }
}
