using ChatGateway.Abstractions;
using ChatGateway.Plugins.Email.Sending;

namespace ChatGateway.Plugins.Email.Tests;

/// <summary>The outbound mail as it is built, before any server sees it.</summary>
public sealed class EmailComposerTests
{
    private static readonly EmailOptions Options = new() { Address = "support@shop.test", DisplayName = "Demo Shop", Imap = new ImapOptions(), Smtp = new SmtpOptions() };

    [Theory]
    [InlineData("Order 1001", true, "Re: Order 1001")]
    [InlineData("Re: Order 1001", true, "Re: Order 1001")]
    [InlineData("RE: Order 1001", true, "RE: Order 1001")]
    [InlineData("Order 1001", false, "Order 1001")]
    [InlineData(null, true, "Demo Shop")]
    [InlineData("  ", false, "Demo Shop")]
    public void Subject_IsMarkedAsAReplyOnceOnlyInAThread(string? subject, bool answers, string expected)
    {
        var message = Message() with { Subject = subject, Thread = answers ? new MessageThread { InReplyTo = "q@buyer.test" } : null };

        Assert.Equal(expected, EmailComposer.Subject(message, Options));
    }

    [Fact]
    public void Compose_SameMessageTwice_HasTheSameMessageId()
    {
        var message = Message();

        using var first = EmailComposer.Compose(message, "buyer@buyer.test", Options, [], DateTimeOffset.UnixEpoch);
        using var retry = EmailComposer.Compose(message, "buyer@buyer.test", Options, [], DateTimeOffset.UnixEpoch.AddMinutes(5));

        Assert.Equal($"{message.MessageId:N}@shop.test", first.MessageId);
        Assert.Equal(first.MessageId, retry.MessageId);
    }

    [Fact]
    public void Compose_ReplyTokensOff_HasNoReplyTo_AndABadTokenIsNeverAnAddress()
    {
        using var off = EmailComposer.Compose(Message() with { ReplyToken = "abc" }, "b@buyer.test", Options, [], DateTimeOffset.UnixEpoch);
        using var bad = EmailComposer.Compose(Message() with { ReplyToken = "a@b>" }, "b@buyer.test", Options with { ReplyAddressTokens = true }, [], DateTimeOffset.UnixEpoch);

        Assert.Empty(off.ReplyTo);
        Assert.Empty(bad.ReplyTo);
    }

    [Fact]
    public void Html_AgentText_IsEncodedWithLineBreaks_AndTheSignatureFollows()
    {
        var html = EmailComposer.Html(Message() with { Text = "a < b\n<img src=x onerror=alert(1)>" }, Options with { Signature = "Shop & Co" });

        Assert.Contains("a &lt; b<br>\n&lt;img src=x onerror=alert(1)&gt;", html, StringComparison.Ordinal);
        Assert.Contains("Shop &amp; Co", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
    }

    [Fact]
    public void PlainText_SurveyChoicesNotInTheText_AreListed()
    {
        var text = EmailComposer.PlainText(Message() with { Text = "How did we do?", Choices = ["1", "2", "3", "4", "5"] }, Options);

        Assert.Equal("How did we do?\n\n1 / 2 / 3 / 4 / 5", text);
    }

    [Theory]
    [InlineData("buyer@buyer.test", null, "buyer@buyer.test")]
    [InlineData("web-visitor-7", "buyer@buyer.test", "buyer@buyer.test")]
    [InlineData("web-visitor-7", null, null)]
    [InlineData("Evil <a@b.test>", null, null)]
    public void RecipientAddress_IsTheEmailElseTheExternalId(string externalId, string? email, string? expected)
    {
        Assert.Equal(expected, SmtpEmailSender.RecipientAddress(new ChannelRecipient { ExternalId = externalId, Email = email }));
    }

    private static OutboundMessage Message() => new()
    {
        MessageId = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"),
        ConversationId = Guid.NewGuid(),
        Recipient = new ChannelRecipient { ExternalId = "buyer@buyer.test" },
        Text = "Hello",
        AgentName = "Anna",
        CreatedAt = DateTimeOffset.UnixEpoch,
    };
}
