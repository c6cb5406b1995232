// placeholder: replaced by the widget
