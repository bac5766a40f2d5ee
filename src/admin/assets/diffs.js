// The shadow-diff report page's script, inlined at startup: copy buttons and the endpoint filter. Nothing else depends on it.
document.addEventListener('click',function(e){var b=e.target.closest&&e.target.closest('button.copy');if(!b)return;
var done=function(){b.textContent='copied';setTimeout(function(){b.textContent='copy'},1200)};
if(navigator.clipboard){navigator.clipboard.writeText(b.dataset.copy).then(done,function(){})}});
var q=document.getElementById('ep-filter');if(q)q.addEventListener('input',function(){var t=q.value.trim().toLowerCase();
document.querySelectorAll('[data-endpoint-key]').forEach(function(el){el.hidden=t!==''&&el.getAttribute('data-endpoint-key').indexOf(t)<0})});
