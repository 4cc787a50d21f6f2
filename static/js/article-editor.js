// 发布文章: a live side-by-side preview and the 插入分页符 button. The form works without this file
// (the 预览 submit button renders the same preview on the server).
;(function () {
  'use strict'
  var body = document.getElementById('a-body')
  var pane = document.querySelector('[data-live-preview]')
  var form = body && body.form
  if (!body || !pane || !form) return
  var token = form.querySelector('input[name="_csrf"]')
  var timer = null
  var last = null
  pane.hidden = false
  pane.parentNode.classList.add('live')

  function render () {
    if (body.value === last) return
    last = body.value
    var data = new URLSearchParams()
    data.set('_csrf', token ? token.value : '')
    data.set('body', body.value)
    fetch('/portal/preview', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8' },
      body: data.toString()
    }).then(function (res) { return res.json() }).then(function (answer) {
      // The server's sanitized render (the same as the public page); a refusal as text.
      if (typeof answer.html === 'string') pane.innerHTML = answer.html
      else pane.textContent = answer.error || answer.message || '预览失败'
    }).catch(function () { pane.textContent = '预览暂时不可用' })
  }
  body.addEventListener('input', function () {
    clearTimeout(timer)
    timer = setTimeout(render, 600)
  })
  render()

  var button = document.querySelector('[data-insert-pagebreak]')
  if (button) {
    button.hidden = false
    button.addEventListener('click', function () {
      var at = body.selectionStart || body.value.length
      var text = '\n\n<!-- 分页 -->\n\n'
      body.value = body.value.slice(0, at) + text + body.value.slice(body.selectionEnd || at)
      body.focus()
      body.selectionStart = body.selectionEnd = at + text.length
      body.dispatchEvent(new Event('input'))
    })
  }
})()
