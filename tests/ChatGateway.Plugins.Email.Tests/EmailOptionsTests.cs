using ChatGateway.Testing.Conformance;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.Email.Tests;

/// <summary>Settings as the gateway checks them: through the instance container's start-up validator.</summary>
public sealed class EmailOptionsTests
{
    [Fact]
    public async Task StartupValidation_NoSettings_ReportsEveryMissingKeyAtOnce()
    {
        var failures = await StartupFailuresAsync([]);

        Assert.Equal(
            [
                "Imap:Host is required",
                "Imap:UserName is required",
                $"Imap:Password is required (set the environment variable Channels__{EmailTestInstance.Id}__Imap__Password; never write it in plugins.json)",
                "Smtp:Host is required",
                "Address is required (the shop's email address, e.g. support@shop.example)",
            ],
            failures);
    }

    [Fact]
    public async Task StartupValidation_BadValues_NamesEachKey()
    {
        var settings = EmailTestInstance.OfflineSettings();
        settings["Imap:Host"] = "imap.shop.example";
        settings["Imap:Port"] = "70000";
        settings["Smtp:Host"] = "smtp.shop.example";
        settings["Smtp:UserName"] = "shop";
        settings["Smtp:Security"] = "None";
        settings["Imap:PollSeconds"] = "1";
        settings["Imap:LeaseSeconds"] = "2";
        settings["Address"] = "Shop <shop@shop.test>";
        settings["TrustAuthenticationResults"] = "mx shop";
        settings["Smtp:CertificateFingerprint"] = "AB:CD";

        var failures = await StartupFailuresAsync(settings);

        Assert.Equal(
            [
                "Imap:Port must be between 1 and 65535",
                "Imap:Security None would send the password unencrypted; use StartTls or Tls (None is allowed only for a loopback host)",
                $"Smtp:Password is required (set the environment variable Channels__{EmailTestInstance.Id}__Smtp__Password; never write it in plugins.json)",
                "Smtp:Security None would send the password unencrypted; use StartTls or Tls (None is allowed only for a loopback host)",
                "Smtp:CertificateFingerprint must be the certificate's SHA-256 fingerprint: 64 hex digits, colons allowed",
                "Imap:PollSeconds must be between 5 and 3600",
                "Imap:LeaseSeconds must be between 5 and 3600",
                "Address must be a plain email address such as support@shop.example (the name goes in DisplayName)",
                "TrustAuthenticationResults must be the receiving server's authserv-id, one word such as mx.shop.example",
            ],
            failures);
    }

    [Fact]
    public async Task StartupValidation_TimeoutsOutOfRange_NameTheirKeys()
    {
        var settings = EmailTestInstance.OfflineSettings();
        settings["Imap:Timeout"] = "00:00:00";
        settings["Smtp:Timeout"] = "1.00:00:00";

        var failures = await StartupFailuresAsync(settings);

        Assert.Contains("Imap:Timeout must be greater than 0", failures);
        Assert.Contains("Smtp:Timeout must be at most 00:10:00, not 1.00:00:00", failures);
    }

    [Fact]
    public async Task Defaults_ByPort_TlsOn993And465_StartTlsElse_AndInboxAsTheFolder()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Imap:Host"] = "imap.shop.example",
            ["Imap:UserName"] = "support@shop.example",
            ["Imap:Password"] = "p",
            ["Smtp:Host"] = "smtp.shop.example",
            ["Address"] = "support@shop.example",
        };
        await using var container = ChannelInstanceContainer.Build(new EmailChannelPlugin(), EmailTestInstance.Id, settings);
        Assert.Empty(container.StartupFailures());
        var options = container.Services.GetRequiredService<IOptions<EmailOptions>>().Value;

        Assert.Equal((993, MailSecurity.Tls), (options.Imap.PortOrDefault, options.Imap.SecurityFor(options.Imap.PortOrDefault)));
        Assert.Equal((587, MailSecurity.StartTls), (options.Smtp.PortOrDefault, options.Smtp.SecurityFor(options.Smtp.PortOrDefault)));
        Assert.Equal(MailSecurity.Tls, options.Smtp.SecurityFor(465));
        Assert.Equal(["INBOX"], options.Imap.FolderNames);
        Assert.Equal(60, options.Imap.PollSeconds);
        Assert.False(options.TrustAllSenders);
        Assert.False(options.ReplyAddressTokens);
    }

    [Fact]
    public void ToString_Always_HidesThePasswords()
    {
        var options = new EmailOptions
        {
            Imap = new ImapOptions { Host = "imap", UserName = "u", Password = "imap-very-secret" },
            Smtp = new SmtpOptions { Host = "smtp", UserName = "u", Password = "smtp-very-secret" },
        };

        Assert.DoesNotContain("very-secret", options.ToString(), StringComparison.Ordinal);
        Assert.Contains("imap", options.ToString(), StringComparison.Ordinal);
    }

    private static async Task<IReadOnlyList<string>> StartupFailuresAsync(Dictionary<string, string?> settings)
    {
        await using var container = ChannelInstanceContainer.Build(new EmailChannelPlugin(), EmailTestInstance.Id, settings);
        return container.StartupFailures();
    }
}
