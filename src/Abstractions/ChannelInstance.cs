using Microsoft.Extensions.Configuration;

namespace ChatGateway.Abstractions;

/// <summary>One configured instance of a channel plugin, e.g. one shop SMS number.</summary>
/// <param name="Id">The instance id from <c>plugins.json</c>; unique, used in URLs and stored with every message.</param>
/// <param name="PluginName">The plugin that serves the instance.</param>
/// <param name="Settings">
/// The instance settings: the <c>settings</c> object of the <c>plugins.json</c> entry, overlaid by the
/// gateway configuration section <c>Channels:{Id}</c> (environment variables such as
/// <c>Channels__sms-main__AuthToken</c>), which is where secrets belong.
/// </param>
public sealed record ChannelInstance(string Id, string PluginName, IConfiguration Settings);
