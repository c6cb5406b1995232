using ChatGateway.Abstractions;
using ChatGateway.Plugins.Sms.Sending;

using Microsoft.Extensions.Primitives;

namespace ChatGateway.Plugins.Sms.Tests;

public sealed class TwilioMapperTests
{
    [Fact]
    public void ToInboundMessage_TwilioInboundPayload_MapsSidSenderAndText()
    {
        var form = SmsTestInstance.ToForm(SmsTestInstance.LoadPayload("inbound-sms.form"));

        var message = TwilioMapper.ToInboundMessage(form);

        Assert.Equal("SM1f0e8ae6ade43cb3c0ce4525424e404f", message.ProviderMessageId);
        Assert.Equal("+14155550123", message.Sender.ExternalId);
        Assert.Equal("+14155550123", message.Sender.Phone);
        Assert.Equal("Hi! Where is my order #1042? Grüße", message.Text);
        Assert.Null(message.Sender.Email);
    }

    [Theory]
    [InlineData("72345")]
    [InlineData("SHOPNEWS")]
    public void ToInboundMessage_ShortCodeOrAlphanumericSender_KeepsIdButNoPhone(string from)
    {
        var form = SmsTestInstance.ToForm([new("MessageSid", "SM1"), new("From", from), new("Body", "hi")]);

        var message = TwilioMapper.ToInboundMessage(form);

        Assert.Equal(from, message.Sender.ExternalId);
        Assert.Null(message.Sender.Phone);
    }

    [Fact]
    public void MissingFields_SeveralAbsent_NamesEveryOne()
    {
        var form = SmsTestInstance.ToForm([new("AccountSid", SmsTestInstance.AccountSid), new("MessageSid", " ")]);

        var reason = TwilioMapper.MissingFields(form, TwilioMapper.InboundRequiredFields);

        Assert.Equal("MessageSid is required; From is required; Body is required", reason);
    }

    [Fact]
    public void MissingFields_EmptyBodyPresent_IsNotMissing()
    {
        var form = SmsTestInstance.ToForm([new("MessageSid", "SM1"), new("From", "+14155550123"), new("Body", "")]);

        Assert.Null(TwilioMapper.MissingFields(form, TwilioMapper.InboundRequiredFields));
    }

    [Theory]
    [InlineData("queued", DeliveryStatus.Sent)]
    [InlineData("sending", DeliveryStatus.Sent)]
    [InlineData("sent", DeliveryStatus.Sent)]
    [InlineData("delivered", DeliveryStatus.Delivered)]
    [InlineData("undelivered", DeliveryStatus.Failed)]
    [InlineData("failed", DeliveryStatus.Failed)]
    public void ToDeliveryStatusUpdate_TwilioStatus_MapsToDeliveryStatus(string messageStatus, DeliveryStatus expected)
    {
        var form = SmsTestInstance.ToForm([new("MessageSid", "SM42"), new("MessageStatus", messageStatus)]);

        var update = TwilioMapper.ToDeliveryStatusUpdate(form);

        Assert.NotNull(update);
        Assert.Equal("SM42", update.ProviderMessageId);
        Assert.Equal(expected, update.Status);
    }

    [Fact]
    public void ToDeliveryStatusUpdate_UndeliveredWithErrorCode_CarriesTwilioError()
    {
        var form = SmsTestInstance.ToForm(SmsTestInstance.LoadPayload("status-undelivered.form"));

        var update = TwilioMapper.ToDeliveryStatusUpdate(form);

        Assert.Equal(new DeliveryStatusUpdate("SM5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b", DeliveryStatus.Failed, "Twilio error 30003"), update);
    }

    [Fact]
    public void ToDeliveryStatusUpdate_FailedWithoutErrorCode_SaysWhatTwilioReported()
    {
        var form = SmsTestInstance.ToForm([new("MessageSid", "SM42"), new("MessageStatus", "failed")]);

        Assert.Equal("Twilio reported failed", TwilioMapper.ToDeliveryStatusUpdate(form)?.Error);
    }

    [Fact]
    public void ToDeliveryStatusUpdate_InboundOnlyStatus_IsIgnored()
    {
        var form = SmsTestInstance.ToForm([new("MessageSid", "SM42"), new("MessageStatus", "receiving")]);

        Assert.Null(TwilioMapper.ToDeliveryStatusUpdate(form));
    }

    [Fact]
    public void ToCreateMessageForm_StatusCallbackOn_SendsToFromBodyAndCallbackUrl()
    {
        var options = new SmsOptions { FromNumber = "+14155550100", PublicBaseUrl = "https://shop.example/" };

        var form = TwilioMapper.ToCreateMessageForm(Outbound("Your parcel left today."), "+14155550123", options, "sms-main");

        Assert.Equal(
            [
                new("To", "+14155550123"),
                new("From", "+14155550100"),
                new("Body", "Your parcel left today."),
                new("StatusCallback", "https://shop.example/channels/sms-main/status"),
            ],
            form);
    }

    [Fact]
    public void ToCreateMessageForm_FilesWithoutText_RepeatsMediaUrlAndLeavesBodyOut()
    {
        var options = new SmsOptions { FromNumber = "+14155550100", PublicBaseUrl = "https://shop.example/", StatusCallback = false };

        var form = TwilioMapper.ToCreateMessageForm(Outbound(""), "+14155550123", options, "sms-main", ["https://a.example/1", "https://a.example/2"]);

        Assert.Equal(
            [new("To", "+14155550123"), new("From", "+14155550100"), new("MediaUrl", "https://a.example/1"), new("MediaUrl", "https://a.example/2")],
            form);
    }

    [Fact]
    public void ToCreateMessageForm_StatusCallbackOff_LeavesItOut()
    {
        var options = new SmsOptions { FromNumber = "+14155550100", PublicBaseUrl = "https://shop.example", StatusCallback = false };

        var form = TwilioMapper.ToCreateMessageForm(Outbound("hi"), "+14155550123", options, "sms-main");

        Assert.DoesNotContain("StatusCallback", form.Select(field => field.Key));
    }

    [Theory]
    [InlineData("+14155550123", "visitor-1", "+14155550123")]
    [InlineData(null, "+14155550123", "+14155550123")]
    [InlineData("", "+14155550123", "+14155550123")]
    [InlineData(null, " ", null)]
    public void RecipientNumber_PrefersPhoneOverExternalId(string? phone, string externalId, string? expected)
    {
        Assert.Equal(expected, TwilioMapper.RecipientNumber(new ChannelRecipient { ExternalId = externalId, Phone = phone }));
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(429)]
    [InlineData(408)]
    public void ToDeliveryResult_RetryableStatus_IsTransient(int status)
    {
        var result = TwilioMapper.ToDeliveryResult(TwilioSendResult.Rejected(status, new TwilioError(20500, "oops")));

        Assert.Equal(DeliveryResult.Transient($"Twilio returned {status}"), result);
    }

    [Fact]
    public void ToDeliveryResult_TooManyRequestsWithRetryAfter_CarriesTheWait()
    {
        var result = TwilioMapper.ToDeliveryResult(TwilioSendResult.Rejected(429, null, TimeSpan.FromSeconds(30)));

        Assert.Equal(DeliveryResult.Transient("Twilio returned 429 (retry after 30 s)", TimeSpan.FromSeconds(30)), result);
    }

    [Fact]
    public void ToDeliveryResult_BadRequestWithTwilioError_IsPermanentWithCodeAndMessage()
    {
        var result = TwilioMapper.ToDeliveryResult(
            TwilioSendResult.Rejected(400, new TwilioError(21211, "Invalid 'To' Phone Number: 123")));

        Assert.Equal(DeliveryResult.Permanent("Twilio error 21211: Invalid 'To' Phone Number: 123"), result);
    }

    [Fact]
    public void ToDeliveryResult_BadRequestWithoutBody_IsPermanentWithStatus()
    {
        Assert.Equal(DeliveryResult.Permanent("Twilio returned 404"), TwilioMapper.ToDeliveryResult(TwilioSendResult.Rejected(404, null)));
    }

    [Fact]
    public void ToDeliveryResult_NoAnswer_IsTransientWithTheReason()
    {
        var result = TwilioMapper.ToDeliveryResult(TwilioSendResult.Unreachable("Twilio did not answer within 30 s"));

        Assert.Equal(DeliveryResult.Transient("Twilio did not answer within 30 s"), result);
    }

    [Fact]
    public void ToDeliveryResult_Created_IsSentWithSid()
    {
        Assert.Equal(DeliveryResult.Sent("SM123"), TwilioMapper.ToDeliveryResult(TwilioSendResult.Accepted(201, "SM123")));
    }

    [Theory]
    [InlineData("""{"code":21211,"message":"Invalid 'To' Phone Number","more_info":"x","status":400}""", 21211, "Invalid 'To' Phone Number")]
    [InlineData("""{"code":"21610","message":"Attempt to send to unsubscribed recipient"}""", 21610, "Attempt to send to unsubscribed recipient")]
    public void ParseError_TwilioErrorBody_ReadsCodeAndMessage(string content, int code, string message)
    {
        Assert.Equal(new TwilioError(code, message), TwilioClient.ParseError(content));
    }

    [Theory]
    [InlineData("<html>Bad Gateway</html>")]
    [InlineData("")]
    [InlineData("[]")]
    public void ParseError_NotTwilioJson_GivesNothing(string content)
    {
        Assert.Null(TwilioClient.ParseError(content));
    }

    private static OutboundMessage Outbound(string text) => new()
    {
        MessageId = Guid.NewGuid(),
        ConversationId = Guid.NewGuid(),
        Recipient = new ChannelRecipient { ExternalId = "+14155550123", Phone = "+14155550123" },
        Text = text,
        CreatedAt = DateTimeOffset.UnixEpoch,
    };

    // Bad inputs tried: a keyword inside a sentence, with punctuation, 退订 inside a sentence, an empty body, HELP.
    [Theory]
    [InlineData("STOP", null, OutreachPreference.None, true)]
    [InlineData(" stop\n", null, OutreachPreference.None, true)]
    [InlineData("StopAll", null, OutreachPreference.None, true)]
    [InlineData("UNSUBSCRIBE", null, OutreachPreference.None, true)]
    [InlineData("cancel", null, OutreachPreference.None, true)]
    [InlineData("End", null, OutreachPreference.None, true)]
    [InlineData("QUIT", null, OutreachPreference.None, true)]
    [InlineData("start", null, OutreachPreference.All, true)]
    [InlineData("UNSTOP", null, OutreachPreference.All, true)]
    [InlineData("Yes", null, OutreachPreference.All, true)]
    [InlineData("退订", null, OutreachPreference.NoMarketing, false)]
    [InlineData("td", null, OutreachPreference.NoMarketing, false)]
    [InlineData(" T ", null, OutreachPreference.NoMarketing, false)]
    [InlineData("n", null, OutreachPreference.NoMarketing, false)]
    [InlineData("订阅", null, OutreachPreference.All, false)]
    [InlineData("no more texts", "STOP", OutreachPreference.None, true)]
    [InlineData("anything", "start", OutreachPreference.All, true)]
    public void ToOutreachChoice_ReadsTheKeywords_AndTwiliosOptOutTypeFirst(string body, string? optOutType, OutreachPreference preference, bool thisChannelOnly)
    {
        var form = new Dictionary<string, StringValues> { ["Body"] = body };
        if (optOutType is not null)
        {
            form["OptOutType"] = optOutType;
        }

        // 退订 and its kin only ever narrow what the customer accepts.
        Assert.Equal(new OutreachChoice(preference, thisChannelOnly, Decline: preference == OutreachPreference.NoMarketing), TwilioMapper.ToOutreachChoice(form));
    }

    [Theory]
    [InlineData("please stop texting me", null)]
    [InlineData("STOP!", null)]
    [InlineData("我要退订优惠", null)]
    [InlineData("", null)]
    [InlineData("HELP", null)]
    [InlineData("STOP", "HELP")]
    public void ToOutreachChoice_IsNullForAnOrdinaryMessage(string body, string? optOutType)
    {
        var form = new Dictionary<string, StringValues> { ["Body"] = body };
        if (optOutType is not null)
        {
            form["OptOutType"] = optOutType;
        }

        Assert.Null(TwilioMapper.ToOutreachChoice(form));
    }
}
