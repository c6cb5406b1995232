using System.Globalization;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Routing;

/// <summary>
/// When agents work, in the shop's time zone. No <c>Days</c> configured means always open.
/// <c>Days</c> maps a day name to <c>HH:mm-HH:mm</c>; a missing day is closed; <c>Holidays</c> are closed dates.
/// </summary>
internal sealed class BusinessHoursOptions
{
    /// <summary>IANA time zone of the shop, e.g. <c>Asia/Shanghai</c>.</summary>
    public string TimeZone { get; set; } = "UTC";

    public Dictionary<string, string> Days { get; set; } = [];

    /// <summary>Closed dates, <c>yyyy-MM-dd</c>.</summary>
    public List<string> Holidays { get; set; } = [];

    /// <summary>
    /// Sent to a customer who writes while the shop is closed, in their language (<c>zh</c>, <c>en</c>). <c>{next}</c>
    /// becomes the next opening time. Empty: no reply.
    /// </summary>
    public Dictionary<string, string> ClosedReplies { get; set; } = [];

    /// <summary>The closed reply of older settings: for every language without its own in <see cref="ClosedReplies"/>.</summary>
    public string? ClosedReply { get; set; }

    /// <summary>
    /// Sent when the shop is open but no agent able to help is online, in the customer's language. <c>{position}</c> and
    /// <c>{wait}</c> become the place in line and the estimated wait. Empty: no reply.
    /// </summary>
    public Dictionary<string, string> NoAgentReplies { get; set; } = [];

    /// <summary>The no-agent reply of older settings: for every language without its own in <see cref="NoAgentReplies"/>.</summary>
    public string? NoAgentReply { get; set; }

    /// <summary>Name shown as the sender of automatic replies, by language.</summary>
    public Dictionary<string, string> SenderNames { get; set; } = [];

    /// <summary>The sender name of older settings: for every language without its own in <see cref="SenderNames"/>.</summary>
    public string? SenderName { get; set; }

    public string ClosedReplyIn(string language) =>
        Conversations.CustomerLanguage.Pick(ClosedReplies, ClosedReply, language,
            "感谢您的留言！现在是休息时间，我们将于{next}起为您回复。",
            "Thanks for your message! We are closed right now and will answer from {next}.");

    public string NoAgentReplyIn(string language) =>
        Conversations.CustomerLanguage.Pick(NoAgentReplies, NoAgentReply, language,
            "感谢您的留言！客服都在忙，一有空闲会马上为您服务，请稍等。",
            "Thanks for your message! All our agents are busy; we will answer as soon as one is free.");

    public string SenderNameIn(string language) =>
        Conversations.CustomerLanguage.Pick(SenderNames, SenderName, language, "自动回复", "Auto-reply");
}

internal sealed class BusinessHoursValidator : IValidateOptions<BusinessHoursOptions>
{
    public ValidateOptionsResult Validate(string? name, BusinessHoursOptions options)
    {
        var errors = new List<string>();
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(options.TimeZone, out _))
        {
            errors.Add($"BusinessHours:TimeZone '{options.TimeZone}' is not a known time zone (use an IANA name such as Asia/Shanghai).");
        }

        errors.AddRange(Conversations.CustomerLanguage.Errors("BusinessHours:ClosedReplies", options.ClosedReplies));
        errors.AddRange(Conversations.CustomerLanguage.Errors("BusinessHours:NoAgentReplies", options.NoAgentReplies));
        errors.AddRange(Conversations.CustomerLanguage.Errors("BusinessHours:SenderNames", options.SenderNames));
        foreach (var (day, hours) in options.Days)
        {
            if (!Enum.TryParse<DayOfWeek>(day, ignoreCase: true, out _))
            {
                errors.Add($"BusinessHours:Days:{day} is not a day of the week.");
            }

            if (!BusinessHours.TryParseRange(hours, out _, out _))
            {
                errors.Add($"BusinessHours:Days:{day} '{hours}' must be HH:mm-HH:mm with the opening before the closing.");
            }
        }

        for (var i = 0; i < options.Holidays.Count; i++)
        {
            if (!DateOnly.TryParseExact(options.Holidays[i], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            {
                errors.Add($"BusinessHours:Holidays:{i} '{options.Holidays[i]}' must be a date yyyy-MM-dd.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>Answers "is the shop open now?" and "when does it open next?".</summary>
internal sealed class BusinessHours
{
    private readonly BusinessHoursOptions _options;
    private readonly TimeZoneInfo _zone;
    private readonly Dictionary<DayOfWeek, (TimeOnly Open, TimeOnly Close)> _days = [];
    private readonly HashSet<DateOnly> _holidays;

    public BusinessHours(IOptions<BusinessHoursOptions> options)
    {
        _options = options.Value;
        _zone = TimeZoneInfo.FindSystemTimeZoneById(_options.TimeZone);
        foreach (var (day, hours) in _options.Days)
        {
            TryParseRange(hours, out var open, out var close);
            _days[Enum.Parse<DayOfWeek>(day, ignoreCase: true)] = (open, close);
        }

        _holidays = _options.Holidays.Select(h => DateOnly.ParseExact(h, "yyyy-MM-dd", CultureInfo.InvariantCulture)).ToHashSet();
    }

    public BusinessHoursOptions Options => _options;

    public bool AlwaysOpen => _days.Count == 0;

    public bool IsOpen(DateTimeOffset at)
    {
        if (AlwaysOpen)
        {
            return true;
        }

        var local = TimeZoneInfo.ConvertTime(at, _zone);
        var date = DateOnly.FromDateTime(local.DateTime);
        var time = TimeOnly.FromDateTime(local.DateTime);
        return !_holidays.Contains(date) && _days.TryGetValue(local.DayOfWeek, out var hours) && time >= hours.Open && time < hours.Close;
    }

    /// <summary>The next opening after <paramref name="at"/>, in the shop's time zone; null if it never opens in the next 60 days.</summary>
    public DateTimeOffset? NextOpening(DateTimeOffset at)
    {
        var local = TimeZoneInfo.ConvertTime(at, _zone);
        for (var d = 0; d <= 60; d++)
        {
            var date = DateOnly.FromDateTime(local.DateTime).AddDays(d);
            if (_holidays.Contains(date) || !_days.TryGetValue(date.DayOfWeek, out var hours))
            {
                continue;
            }

            var opening = date.ToDateTime(hours.Open);
            if (opening > local.DateTime)
            {
                return new DateTimeOffset(opening, _zone.GetUtcOffset(opening));
            }
        }

        return null;
    }

    /// <summary>"Tuesday 09:00 (Asia/Shanghai)" or "周二 09:00" for the closed reply.</summary>
    public string Describe(DateTimeOffset opening, string language = "en") => language == "zh"
        ? $"{"周日周一周二周三周四周五周六".Substring((int)opening.DayOfWeek * 2, 2)} {opening.ToString("HH:mm", CultureInfo.InvariantCulture)}"
        : $"{opening.DayOfWeek} {opening.ToString("HH:mm", CultureInfo.InvariantCulture)} ({_options.TimeZone})";

    public static bool TryParseRange(string value, out TimeOnly open, out TimeOnly close)
    {
        open = close = default;
        var parts = value.Split('-', StringSplitOptions.TrimEntries);
        return parts.Length == 2
            && TimeOnly.TryParseExact(parts[0], "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out open)
            && TimeOnly.TryParseExact(parts[1], "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out close)
            && open < close;
    }
}
