using ChatGateway.Abstractions;

using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Plugins.Sms.Tests;

public sealed class SmsChannelPluginTests
{
    [Fact]
    public void Plugin_Always_DeclaresSmsWithPhoneIdentityReceiptsAndMmsFiles_AndThatItMayStartConversations()
    {
        var plugin = new SmsChannelPlugin();

        Assert.Equal("Sms", plugin.Name);
        Assert.Equal("sms", plugin.ChannelType);
        Assert.Equal(
            ChannelCapabilities.ReceiveText | ChannelCapabilities.SendText | ChannelCapabilities.DeliveryReceipts | ChannelCapabilities.PhoneIdentity
                | ChannelCapabilities.StartConversation | ChannelCapabilities.Attachments,
            plugin.Capabilities);
        Assert.Equal(5 * 1024 * 1024, ((IChannelPlugin)plugin).MaxAttachmentBytes); // Twilio's MMS limit
    }

    [Fact]
    public async Task ConfigureServices_ValidSettings_RegistersSenderAndReadiness()
    {
        await using var services = SmsTestInstance.BuildServices(SmsTestInstance.ValidSettings());

        Assert.NotNull(services.GetRequiredService<IChannelSender>());
        Assert.NotNull(services.GetRequiredService<IChannelReadiness>());
    }

    [Fact]
    public void PublicSurface_IsOnlyThePluginEntryClass()
    {
        var exported = typeof(SmsChannelPlugin).Assembly.GetExportedTypes();

        Assert.Equal([typeof(SmsChannelPlugin)], exported);
    }
}
